"""The appeals report: every figure against a small fixture computed by hand (below), the
flag for the risk team, the date range (days in the site's time zone, bad ranges refused),
and who may open the page.

The fixture's rows are written directly, not through the services: the report reads fixed
submission, response and decision times that the services stamp with "now"; what is tested
here is the arithmetic over them.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from appeals.models import Appeal, Survey
from appeals.selectors.reports import OverturnRow, appeal_report, flag_reasons
from credit.models import (
    CampaignLine,
    CreditDecision,
    DecisionPolicy,
    DecisionReason,
    PolicyCampaign,
    ReasonCode,
    Scorecard,
)
from notifications.models import Notification
from tests.appeals.factories import agent, auditor, reviewer, supervisor
from tests.credit.factories import make_line
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def t(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def _decision(line, *, reasons, versioned=True, segment="", campaign=None):
    decision = CreditDecision.objects.create(
        line=line,
        created_at=t(1, 8, month=10),
        trigger="campaign" if campaign else "event",
        scorecard=Scorecard.objects.order_by("version").first() if versioned else None,
        policy=DecisionPolicy.objects.order_by("version").first() if versioned else None,
        outcome="schedule_closure",
        old_status="active",
        new_status="closing",
        old_limit=Decimal("20000.00"),
        new_limit=Decimal("20000.00"),
        segment=segment,
    )
    for rank, code in enumerate(reasons, start=1):
        DecisionReason.objects.create(decision=decision, rank=rank, reason_code=code)
    if campaign is not None:
        CampaignLine.objects.create(campaign=campaign, line=line, state="done", decision=decision)
    return decision


def _appeal(decision, status, *, submitted, responded=None, decided=None, closed=None, **dues):
    return Appeal.objects.create(
        borrower=decision.line.borrower,
        line=decision.line,
        decision=decision,
        status=status,
        created_at=submitted - timedelta(minutes=5),
        submitted_at=submitted,
        first_responded_at=responded,
        decided_at=decided,
        closed_at=closed,
        first_response_due=dues.get("first_due", submitted + timedelta(days=2)),
        resolution_due=dues.get("resolution_due", submitted + timedelta(days=15)),
    )


@pytest.fixture
def world():
    """Four decisions, eight appeals. Reason codes A, B, C; versions v1/v1 or none; one
    campaign; segments "new", "" and "long_clean". See each test for the sums."""
    a, b, c = ReasonCode.objects.order_by("code")[:3]
    boss = supervisor()
    campaign = PolicyCampaign.objects.create(
        name="Pause for the audit", action="freeze", reason_code=b, created_by=boss
    )
    lines = [make_line() for _ in range(4)]
    d1 = _decision(lines[0], reasons=[a, b], segment="new")
    d2 = _decision(lines[1], reasons=[a], segment="new")
    d3 = _decision(lines[2], reasons=[b], versioned=False, campaign=campaign)
    d4 = _decision(lines[3], reasons=[c], segment="long_clean")
    appeals = {
        # approved: response after 2 h, decision after 24 h, both on time
        "a1": _appeal(
            d1,
            "approved",
            submitted=t(1, 10),
            responded=t(1, 12),
            decided=t(2, 10),
            closed=t(2, 10),
        ),
        # denied: response after 49 h (due at 48 h), decision after 52 h (due at 51 h): late
        "a2": _appeal(
            d2,
            "denied",
            submitted=t(1, 11),
            responded=t(3, 12),
            decided=t(3, 15),
            closed=t(3, 15),
            first_due=t(3, 11),
            resolution_due=t(3, 14),
        ),
        # approved on submission after 30 min: no staff response, the approval is the first
        "a3": _appeal(
            d3, "auto_approved", submitted=t(2, 9), decided=t(2, 9, 30), closed=t(2, 9, 30)
        ),
        # made moot after 24 h: resolved, not decided (left out of the overturn rates)
        "a4": _appeal(d4, "resolved", submitted=t(2, 10), closed=t(3, 10)),
        "a5": _appeal(d4, "in_review", submitted=t(3, 8)),
        # submitted before the range, denied after second review inside it
        "a6": _appeal(
            d2,
            "denied_final",
            submitted=t(30, 10, month=10),
            responded=t(30, 12, month=10),
            decided=t(31, 16, month=10),
            closed=t(1, 20),
        ),
        # 23:30 on the 3rd in Shanghai (15:30 UTC): in the range; 00:30 on the 4th: not
        "a7": _appeal(d3, "submitted", submitted=t(3, 23, 30)),
        "a8": _appeal(d1, "submitted", submitted=t(4, 0, 30)),
    }
    for key, rating, comment, answered in (
        ("a1", 5, "很快，谢谢", t(2, 12)),
        ("a2", 2, "", t(3, 16)),
        ("a6", 1, "Too slow", t(1, 21)),
        ("a3", 4, "outside the range", t(5, 9)),
    ):
        Survey.objects.create(
            appeal=appeals[key], rating=rating, comment=comment, submitted_at=answered
        )
    person = BorrowerFactory()
    for i, (channel, status, at) in enumerate(
        (
            ("email", "failed", t(1, 9)),
            ("email", "failed", t(2, 9)),
            ("email", "pending", t(2, 9)),
            ("sms", "failed", t(3, 9)),
            ("inbox", "cancelled", t(3, 9)),
            ("email", "failed", t(5, 9)),  # outside the range
        )
    ):
        Notification.objects.create(
            recipient=person, event="credit.frozen", category="credit", channel=channel,
            dedupe_key=f"k{i}", language="zh-hans", body_text="…", status=status, created_at=at,
        )  # fmt: skip
    return {"codes": (a, b, c), "campaign": campaign, "appeals": appeals}


@pytest.fixture
def client(client):
    client.cookies["recourse_language"] = "en"
    return client


def _report(since=date(2026, 11, 1), until=date(2026, 11, 3)):
    return appeal_report(since=since, until=until, zone=SH)


def test_opened_and_resolved_per_day_in_the_site_time_zone(world):
    report = _report()
    assert [(d.day.day, d.opened, d.resolved) for d in report.days] == [
        (1, 2, 1),  # opened a1 a2; resolved a6
        (2, 2, 2),  # opened a3 a4; resolved a1 a3
        (3, 2, 2),  # opened a5 a7 (23:30 local); resolved a2 a4
    ]
    assert report.opened == 6 and report.resolved == 5


def test_share_on_time_and_medians(world):
    report = _report()
    # first response on time: a1 a3 a4 a6, not a2; decision on time: a1 a3 a4 a6, not a2
    assert (report.first_response_on_time, report.resolution_on_time) == (4, 4)
    assert report.first_response_share == pytest.approx(0.8)
    assert report.resolution_share == pytest.approx(0.8)
    # first response: 30 min, 2 h (a1), 2 h (a6), 24 h, 49 h -> 2 h
    assert report.median_first_response == timedelta(hours=2)
    # decision: 30 min, 24 h (a1), 24 h (a4), 30 h (a6), 52 h -> 24 h
    assert report.median_resolution == timedelta(hours=24)


def test_an_even_count_takes_the_mean_of_the_middle_two(world):
    report = _report(since=date(2026, 11, 2))  # resolved: a1 a3 a2 a4
    # first response: 30 min, 2 h, 24 h, 49 h -> (2 h + 24 h) / 2
    assert report.median_first_response == timedelta(hours=13)
    # decision: 30 min, 24 h, 24 h, 52 h -> 24 h
    assert report.median_resolution == timedelta(hours=24)


def test_overturn_rates_by_reason_version_campaign_and_segment(world):
    a, b, _c = world["codes"]
    report = _report()
    # decided: a1 (approved) a2 (denied) a3 (approved on submission) a6 (denied); a4 was moot
    assert (report.decided, report.overturned) == (4, 2)
    by_reason = {r.label: (r.decided, r.overturned) for r in report.by_reason}
    assert by_reason == {a.code: (3, 1), b.code: (2, 2)}
    assert [r.label for r in report.by_reason] == [b.code, a.code]  # highest rate first
    by_version = {r.key: (r.decided, r.overturned) for r in report.by_version}
    v1 = (Scorecard.objects.order_by("version").first().pk,
          DecisionPolicy.objects.order_by("version").first().pk)  # fmt: skip
    assert by_version == {v1: (3, 1), (None, None): (1, 1)}
    by_campaign = {r.key: (r.decided, r.overturned) for r in report.by_campaign}
    assert by_campaign == {world["campaign"].pk: (1, 1), None: (3, 1)}
    assert {r.key: (r.decided, r.overturned) for r in report.by_segment} == {
        "new": (3, 1),
        "": (1, 1),
    }


def test_a_reason_overturned_far_more_than_the_rest_is_flagged(world):
    a, b, _c = world["codes"]
    assert _report().flagged_reasons == []  # 2 appeals are too few to judge by default
    with override_settings(APPEAL_REPORT_FLAG_MIN_APPEALS=2):
        flagged = _report().flagged_reasons
    # b: 2 of 2 overturned; the appeals without b: 0 of 2. a: 1 of 3 against 1 of 1.
    assert [r.label for r in flagged] == [b.code]


def test_the_flag_rule_needs_both_the_multiple_and_the_margin():
    rows = [OverturnRow("x", "x", 40, 8), OverturnRow("y", "y", 60, 6)]
    # x: 20% against 6/60 = 10%: twice the rest and 10 points above it
    rule = {"decided": 100, "overturned": 14, "min_appeals": 20, "multiple": 2.0}
    assert [r.flagged for r in flag_reasons(rows, margin=0.10, **rule)] == [True, False]
    assert [r.flagged for r in flag_reasons(rows, margin=0.11, **rule)] == [False, False]
    assert [r.flagged for r in flag_reasons(rows, margin=0.0, **{**rule, "multiple": 2.1})] == [
        False,
        False,
    ]


def test_satisfaction_and_failed_notifications(world):
    report = _report()
    assert report.survey_count == 3
    assert report.survey_average == pytest.approx(8 / 3)
    assert report.ratings == {1: 1, 2: 1, 3: 0, 4: 0, 5: 1}
    assert [(c.rating, c.comment) for c in report.comments] == [(5, "很快，谢谢"), (1, "Too slow")]
    assert [(str(ch), failed, total) for ch, failed, total in report.failed_by_channel] == [
        ("Email", 2, 3),
        ("Messages", 0, 1),
        ("SMS", 1, 1),
    ]


def test_the_page_shows_the_figures_to_a_supervisor_in_a_bounded_number_of_queries(
    world, client, django_assert_max_num_queries
):
    client.force_login(supervisor())
    url = reverse("admin:appeals_appealreportpage_changelist")
    with override_settings(APPEAL_REPORT_FLAG_MIN_APPEALS=2), django_assert_max_num_queries(30):
        response = client.get(url, {"since": "2026-11-01", "until": "2026-11-03"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Flagged for the risk team" in page and world["codes"][1].code in page
    assert "80.0%" in page  # on time, both targets
    assert "2 h 0 min" in page and "1 d 0 h" in page  # the medians
    assert "很快，谢谢" in page and "Too slow" in page
    assert "<svg" in page and "<rect" in page


def test_a_bad_range_is_refused_with_a_clear_error_and_the_default_range_is_shown(world, client):
    client.force_login(auditor())
    url = reverse("admin:appeals_appealreportpage_changelist")
    response = client.get(url, {"since": "2026-11-05", "until": "2026-11-01"})
    assert response.status_code == 200
    assert "The first day must not be after the last day." in response.content.decode()
    assert response.context["report"].until - response.context["report"].since == timedelta(29)
    response = client.get(url, {"since": "yesterday", "until": "2026-11-01"})
    assert "Enter a valid date." in response.content.decode()


@pytest.mark.parametrize("role", [agent, reviewer])
def test_agents_and_reviewers_may_not_open_it(client, role):
    client.force_login(role())
    assert client.get(reverse("admin:appeals_appealreportpage_changelist")).status_code == 403


def test_the_middle_rows_median_of_the_embedded_mode_gives_the_same_figures(world, monkeypatch):
    """SQLite has no percentile_cont; its way (ORDER BY … OFFSET) must agree with it."""
    from types import SimpleNamespace

    from appeals.selectors import reports

    monkeypatch.setattr(reports, "connections", {"default": SimpleNamespace(vendor="sqlite")})
    for since, first, decision in (
        (date(2026, 11, 1), timedelta(hours=2), timedelta(hours=24)),
        (date(2026, 11, 2), timedelta(hours=13), timedelta(hours=24)),
    ):
        report = _report(since=since)
        assert (report.median_first_response, report.median_resolution) == (first, decision)


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="covering indexes (INCLUDE) are PostgreSQL's",
)
def test_the_report_reads_decisions_through_covering_indexes_with_the_same_figures(world):
    """The overturn table's join is answered from two covering indexes (decision → versions
    and segment; decision → reason ranks and codes). They exist with the columns the report
    groups by, and the report gives the same figures with them as without them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('report_decision_facts_idx', 'report_reason_codes_idx')"
        )
        defs = dict(cursor.fetchall())
    assert "INCLUDE (scorecard_id, policy_id, segment)" in defs["report_decision_facts_idx"]
    assert "credit_creditdecision" in defs["report_decision_facts_idx"]
    assert "INCLUDE (rank, reason_code_id)" in defs["report_reason_codes_idx"]
    assert "credit_decisionreason" in defs["report_reason_codes_idx"]

    with_indexes = _report(since=date(2026, 10, 25), until=date(2026, 11, 5))
    assert with_indexes.decided and with_indexes.by_reason  # the fixture's appeals are in it
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("DROP INDEX report_decision_facts_idx")
        cursor.execute("DROP INDEX report_reason_codes_idx")
    assert _report(since=date(2026, 10, 25), until=date(2026, 11, 5)) == with_indexes
