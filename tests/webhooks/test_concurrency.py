"""Two deliverers at once on PostgreSQL — two threads, each with its own database connection,
as two Celery workers would be — drain the same endpoint's backlog into a real local
receiver: every message arrives once, and each line's messages arrive in sequence order."""

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LINES = 6
PER_LINE = 15


def _deliverer(start: threading.Barrier, runs: list, errors: list) -> None:
    try:
        start.wait(timeout=30)
        runs.append(services.deliveries_run_due(limit=10_000))
    except Exception as exc:  # reported by the test, not lost in the thread
        errors.append(exc)
    finally:
        connection.close()  # this thread's own connection


def test_two_deliverers_at_once_send_each_message_once_in_order_per_line(monkeypatch):
    # The backlog builds while no worker runs (tests run tasks eagerly on commit otherwise).
    monkeypatch.setattr("webhooks.services.outbox._queue_delivery", lambda: None)
    receiver = Receiver(delay=0.005)
    receiver.start()
    try:
        endpoint = services.endpoint_create(url=receiver.url)
        receiver.secrets = [endpoint.secret]
        # The backlog: lines interleaved, as decisions arrive from a campaign.
        for n in range(PER_LINE):
            for line_id in range(1, LINES + 1):
                with transaction.atomic():  # each in its act's transaction
                    services.emit(event_type="credit_line.changed", line_id=line_id, data={"n": n})

        start, runs, errors = threading.Barrier(2), [], []
        threads = [
            threading.Thread(target=_deliverer, args=(start, runs, errors)) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        receiver.stop()

    assert errors == []
    total = LINES * PER_LINE
    # Both took part (otherwise this test would prove nothing about concurrency).
    assert sorted(run.delivered > 0 for run in runs) == [True, True]
    assert sum(run.delivered for run in runs) == total

    ids = Counter(r.msg_id for r in receiver.received)
    assert len(ids) == total and set(ids.values()) == {1}  # once each, nothing twice
    assert all(r.status == 204 and r.verified_with for r in receiver.received)
    got = receiver.accepted_sequences()
    for line_id in range(1, LINES + 1):
        assert [s for line, s in got if line == line_id] == list(range(1, PER_LINE + 1))
    assert WebhookAttempt.objects.count() == total
    assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
