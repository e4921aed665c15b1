"""My credit and the borrower API read what they show, not the whole history: a borrower with
ten times the decisions (21 -> 201) costs the same queries and (on PostgreSQL) the same rows."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.settings import api_settings

from credit import selectors, services
from credit.models import CreditDecision, DecisionOutcome, DecisionTrigger
from credit.overview import history_cache_key
from tests.credit.story import active_line
from tests.rows import counting_reads
from tests.support import plain

pytestmark = pytest.mark.django_db

PAGES = {
    # First with the history's fragments not in the cache, then read again from it.
    "my credit": lambda: reverse("credit:my-credit"),
    "my credit, history cached": lambda: reverse("credit:my-credit"),
    "credit line API": lambda: "/api/v1/me/credit-line/",
    "decisions API": lambda: "/api/v1/me/decisions/",
}

# Statements per request, whatever the history's length (11, 9 and 6 before the policy
# threshold, the repayment figures and the unread count were folded into other reads).
# My credit reads 4 when its history comes from the cache: session, user, line (with what
# tells whether the history changed), open appeal.
QUERIES = {"my credit": 8, "my credit, history cached": 4, "credit line API": 7, "decisions API": 6}


def _pause_and_correct(line, *, cycles: int, start) -> None:
    """`cycles` times: a campaign pauses the line, then a correction restores it (the pause
    was our error), an hour apart, through the real services."""
    for cycle in range(cycles):
        with time_machine.travel(start + timedelta(hours=2 * cycle), tick=False):
            services.credit_line_decide(
                line=line,
                outcome=DecisionOutcome.FREEZE,
                trigger=DecisionTrigger.CAMPAIGN,
                reason_codes=["policy_adjustment"],
            )
        with time_machine.travel(start + timedelta(hours=2 * cycle + 1), tick=False):
            services.credit_line_decide(
                line=line,
                outcome=DecisionOutcome.REINSTATE,
                trigger=DecisionTrigger.CORRECTION,
                reason_codes=["system_error"],
            )
        line.refresh_from_db()


def _history(line, *, total: int, start) -> None:
    """Grow the line's history to `total` (odd) decisions, the last a pause that explains it."""
    if line.status == "frozen":
        with time_machine.travel(start - timedelta(hours=1), tick=False):
            services.credit_line_decide(
                line=line,
                outcome=DecisionOutcome.REINSTATE,
                trigger=DecisionTrigger.STAFF,
                reason_codes=[],
            )
        line.refresh_from_db()
    have = CreditDecision.objects.filter(line=line).count()
    _pause_and_correct(line, cycles=(total - have - 1) // 2, start=start)
    with time_machine.travel(start + timedelta(days=30), tick=False):
        services.credit_line_decide(
            line=line,
            outcome=DecisionOutcome.FREEZE,
            trigger=DecisionTrigger.STAFF,
            reason_codes=["policy_adjustment"],
        )
    line.refresh_from_db()
    assert CreditDecision.objects.filter(line=line).count() == total


def _reads(client, name, url, line):
    if name == "my credit":  # the history's fragments only (the policies in force stay cached)
        cache.delete(history_cache_key(line_id=line.pk, user_id=line.borrower_id, language="en"))
    with counting_reads() as reads:
        response = client.get(url)
    assert response.status_code == 200, url
    return reads, response


def test_a_history_ten_times_longer_costs_the_same_queries_and_rows(client, sent_notices):
    line = active_line()
    now = timezone.now()
    _history(line, total=21, start=now - timedelta(days=200))
    client.force_login(line.borrower)
    client.cookies["recourse_language"] = "en"
    for url in PAGES.values():  # warm, as any later page is (the policies in force are cached)
        client.get(url())
    before = {name: _reads(client, name, url(), line)[0] for name, url in PAGES.items()}

    _history(line, total=201, start=now - timedelta(days=150))
    client.force_login(line.borrower)
    after = {name: _reads(client, name, url(), line) for name, url in PAGES.items()}

    for name in PAGES:
        assert after[name][0].queries == before[name].queries, name
        # And few: session, user (with the unread count), line (with the policy threshold),
        # decisions (with the repayment figures), reasons, key events, scores, open appeal.
        assert after[name][0].queries == QUERIES[name], (name, after[name][0].statements)
    if before["my credit"].rows_counted:
        # The page and the line's API show a fixed number of decisions: the same rows.
        assert after["my credit"][0].rows == before["my credit"].rows
        assert (
            after["my credit, history cached"][0].rows == before["my credit, history cached"].rows
        )
        assert after["credit line API"][0].rows == before["credit line API"].rows
        # The decisions API shows a page: 21 decisions before, a full page of 50 after (each
        # with at most one reason here), never the 201.
        page_size = api_settings.PAGE_SIZE
        grown = after["decisions API"][0].rows - before["decisions API"].rows
        assert 0 < grown <= 2 * (page_size - 21)

    # What the borrower reads is still right: the latest pause explains the line, and the
    # decisions API pages through all 201, newest first.
    body = plain(after["my credit"][1])
    assert "A person on our team decided this" in body
    explaining = after["credit line API"][1].json()["explaining_decision"]
    assert explaining["outcome"] == "freeze"
    assert explaining["trigger"] == "staff"
    first = after["decisions API"][1].json()
    assert first["count"] == 201
    assert len(first["results"]) == api_settings.PAGE_SIZE
    last = client.get("/api/v1/me/decisions/?page=5").json()
    assert len(last["results"]) == 201 - 4 * api_settings.PAGE_SIZE
    assert last["results"][-1]["decided_at"] < first["results"][-1]["decided_at"]


def _corrected_by_walking(decisions) -> list[bool]:
    """The rule read the slow way, over the whole history oldest first: adverse decisions
    since the last one that was not adverse are reversed by a correction that follows."""
    corrected, pending = [False] * len(decisions), []
    for index in range(len(decisions) - 1, -1, -1):
        decision = decisions[index]
        if decision.trigger == DecisionTrigger.CORRECTION:
            for position in pending:
                corrected[position] = True
            pending = []
        elif decision.is_adverse:
            pending.append(index)
        else:
            pending = []
    return corrected


def test_each_decision_knows_whether_a_correction_reversed_it(client, sent_notices):
    line = active_line()
    start = timezone.now() - timedelta(days=60)
    _pause_and_correct(line, cycles=2, start=start)
    steps = [  # a pause then a cut, both reversed by one correction; then a plain restoration
        ("freeze", "campaign", ["policy_adjustment"]),
        ("reinstate", "correction", ["system_error"]),
        ("freeze", "staff", ["policy_adjustment"]),
        ("reinstate", "staff", []),
        ("freeze", "staff", ["policy_adjustment"]),
    ]
    for hour, (outcome, trigger, codes) in enumerate(steps):
        with time_machine.travel(start + timedelta(days=5, hours=hour), tick=False):
            services.credit_line_decide(
                line=line, outcome=outcome, trigger=trigger, reason_codes=codes
            )
        line.refresh_from_db()

    history = list(selectors.decision_history_for_line(line_id=line.pk))
    flags = [selectors.decision_was_corrected(d) for d in history]
    assert flags == _corrected_by_walking(history)
    assert flags.count(True) == 3  # the three pauses a correction reversed
    client.force_login(line.borrower)
    client.cookies["recourse_language"] = "en"
    assert plain(client.get(reverse("credit:my-credit"))).count("Corrected — our error") == 3
