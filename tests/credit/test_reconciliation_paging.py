"""The pull API pages through 100,000 decisions while new ones are being committed out of id
order: every decision is read once, none is skipped. Bounded: the writers stop when the
reader has caught up, and each writes at most 2,000."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiScope
from credit.models import CreditDecision
from tests.accounts.factories import service_token
from tests.credit.factories import make_line

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
EXISTING = 100_000


def _decision(line, note=""):
    return CreditDecision(
        line=line,
        trigger="staff",
        outcome="keep",
        old_status=line.status,
        new_status=line.status,
        old_limit=line.credit_limit,
        new_limit=line.credit_limit,
        created_at=timezone.now(),
        note=note,
    )


def test_paging_100k_decisions_while_others_commit_skips_and_repeats_none():
    lines = [make_line() for _ in range(10)]
    ids = [line.pk for line in lines]
    with connection.cursor() as cursor:  # the 100,000 already there, written by the server
        cursor.execute(
            "INSERT INTO credit_creditdecision (line_id, created_at, trigger, features, points,"
            " outcome, old_status, new_status, old_limit, new_limit, note, segment,"
            " counterfactuals)"
            " SELECT (%s::bigint[])[1 + n %% 10], now(), 'staff', '{}', '[]', 'keep',"
            " 'active', 'active', 20000, 20000, '', '', '[]' FROM generate_series(1, %s) AS n",
            [ids, EXISTING],
        )
    assert CreditDecision.objects.count() == EXISTING
    _, raw = service_token(name="core", scopes=[ApiScope.DECISIONS_READ])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    stop = threading.Event()
    committed: list[int] = []  # ids in the order their transactions committed

    def writer(line, hold_seconds):
        try:
            for _ in range(2_000):
                if stop.is_set():
                    return
                with transaction.atomic():
                    decision = _decision(line)
                    decision.save()
                    time.sleep(hold_seconds)  # the slow writer commits after faster later ids
                committed.append(decision.pk)
        finally:
            connection.close()

    writers = [
        threading.Thread(target=writer, args=(lines[0], 0.05)),
        threading.Thread(target=writer, args=(lines[1], 0.002)),
    ]
    for thread in writers:
        thread.start()

    seen: list[int] = []
    cursor = None
    caught_up_at = None
    total = 0  # decisions in the table once the writers stopped
    stopped_at = 0.0
    started = time.monotonic()
    try:
        while time.monotonic() - started < 240:
            params = {"limit": 1000, **({"after": cursor} if cursor else {})}
            response = api.get("/api/v1/decisions/", params)
            assert response.status_code == 200
            body = response.json()
            seen += [d["decision_id"] for d in body["results"]]
            cursor = body["next"]
            if caught_up_at is None and len(seen) >= EXISTING:
                caught_up_at = time.monotonic()
            # Keep following the writers for a few seconds, as a catching-up system would.
            if caught_up_at and time.monotonic() - caught_up_at > 5 and not stop.is_set():
                stop.set()
                for thread in writers:
                    thread.join(timeout=30)
                total = CreditDecision.objects.count()
                stopped_at = time.monotonic()
            # Done when everything written has been read; a page can be empty meanwhile
            # (a transaction still running holds it back), so ask again, as a client would.
            if stop.is_set() and len(set(seen)) >= total:
                break
            if stop.is_set() and time.monotonic() - stopped_at > 30:
                break  # what is still unread was skipped: the assertions below say so
            if not body["results"]:
                time.sleep(0.05)  # integration test: waiting for other transactions to end
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=30)

    assert len(committed) > 10, "the writers wrote while the reader paged"
    assert committed != sorted(committed), "some decisions committed out of id order"
    assert len(seen) == len(set(seen)), "a decision was read twice"
    assert set(seen) == set(CreditDecision.objects.values_list("pk", flat=True)), (
        "a decision was skipped (or the reader timed out waiting for it)"
    )
