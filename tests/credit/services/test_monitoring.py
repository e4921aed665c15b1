"""Daily monitoring: figures per version and segment from what each evaluation saw, drift from
the version's shadow run, and alerts to supervisors when a figure leaves its band (and none
inside it). The scorecard is the hand-computable one of tests/credit/monitoring_fixture.py."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from credit import figures, services
from credit.models import AlertKind, CreditLine, MonitoringAlert, MonitoringDay, ShadowRun
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.factories import event
from tests.credit.monitoring_fixture import hand_rules, line_with_bureau
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
HISTORY = 6


@pytest.fixture
def monitored(clock, settings):
    """Ten lines, one with a low bureau score: every day for six days the nightly run finds
    1 adverse verdict in 10 (a 10% share, the band is 5%–15%). The active versions had a
    shadow run before: 9 lines scored 600, 1 scored 500."""
    settings.CREDIT_MONITORING_MIN_LINES = 5
    card, policy = hand_rules()
    supervisor = StaffFactory(role="supervisor")
    clock.move_to(NOW - timedelta(days=HISTORY + 1))
    lines = []
    for score in [650] * 9 + [450]:
        line = line_with_bureau(None)
        event(line, "bureau_score", NOW - timedelta(days=30), score=score)
        lines.append(line)
    run = services.shadow_save_draft(
        run=ShadowRun(name="Before activation", scorecard=card, policy=policy), actor=supervisor
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.shadow_start(run=run, actor=supervisor)
    for days_ago in range(HISTORY, 0, -1):
        clock.move_to(NOW - timedelta(days=days_ago))
        nightly()
        services.monitoring_day_compute(day=timezone.localdate())
    clock.move_to(NOW)
    return supervisor, lines


def nightly():
    ids = list(CreditLine.objects.values_list("id", flat=True))
    services.credit_lines_reevaluate(line_ids=ids, trigger="periodic")


def alerts_sent():
    return Notification.objects.filter(event="staff.monitoring_alert")


def test_a_day_out_of_band_raises_alerts_once_and_supervisors_are_told(monitored):
    supervisor, lines = monitored
    agent = StaffFactory(role="agent")
    assert not MonitoringAlert.objects.exists()  # six days inside the band: no alert
    # Today four more lines get a low bureau score: 5 adverse in 10, and scores shift.
    for line in lines[:4]:
        event(line, "bureau_score", NOW - timedelta(hours=2), score=430)
    nightly()

    (today,) = services.monitoring_day_compute(day=timezone.localdate())

    assert (today.evaluated, today.adverse) == (10, 5)
    assert today.scores == {"600": 5, "500": 5}
    assert today.reasons == {"bureau_score_low": 5}
    # PSI against the shadow run (9 x 600, 1 x 500): 0.4 ln(0.9/0.5) + 0.4 ln(5) = 0.879
    assert today.drift == pytest.approx(0.879, abs=0.001)
    kinds = dict(MonitoringAlert.objects.values_list("kind", "value"))
    assert kinds == {AlertKind.ADVERSE_SHARE: 0.5, AlertKind.SCORE_DRIFT: today.drift}
    alert = MonitoringAlert.objects.get(kind=AlertKind.ADVERSE_SHARE)
    assert (alert.low, alert.high) == (0.05, 0.15)
    assert {n.recipient for n in alerts_sent()} == {supervisor}
    assert not alerts_sent().filter(recipient=agent).exists()
    told = alerts_sent().filter(channel="inbox").count()
    assert told == 2

    # The job runs again (a retry): the same figures, no second alert, nobody told twice.
    services.monitoring_day_compute(day=timezone.localdate())
    assert MonitoringDay.objects.filter(day=timezone.localdate()).count() == 1
    assert MonitoringAlert.objects.count() == 2
    assert alerts_sent().filter(channel="inbox").count() == told


def test_a_day_inside_the_band_raises_no_alert(monitored):
    nightly()
    (today,) = services.monitoring_day_compute(day=timezone.localdate())
    assert (today.evaluated, today.adverse, today.drift) == (10, 1, 0.0)
    assert not MonitoringAlert.objects.exists()
    assert not alerts_sent().exists()


def test_a_source_that_normally_sends_and_sent_nothing_today_raises_an_alert(clock, settings):
    hand_rules()
    supervisor = StaffFactory(role="supervisor")
    line = line_with_bureau(None)
    for days_ago in range(1, 7):  # the bureau feed sent every day, the partner on two days
        clock.move_to(NOW - timedelta(days=days_ago))
        event(line, "bureau_score", NOW - timedelta(days=30), source="bureau-feed", score=600)
        if days_ago in (2, 5):
            event(line, "repayment", NOW - timedelta(days=30), source="partner")
    clock.move_to(NOW)
    event(line, "repayment", NOW - timedelta(days=1), source="partner")

    services.monitoring_day_compute(day=timezone.localdate())

    alert = MonitoringAlert.objects.get()
    assert (alert.kind, alert.subject) == (AlertKind.SOURCE_SILENT, "bureau-feed")
    assert alerts_sent().filter(recipient=supervisor).exists()


def test_appeals_opened_and_overturned_count_under_the_version_that_decided(monitored):
    _, lines = monitored
    decision = lines[-1].decisions.order_by("id").first()
    assert decision is not None and decision.scorecard_id is not None

    def source(start, end):
        return [(decision.pk, figures.OPENED), (decision.pk, figures.OVERTURNED)]

    figures.register("test-appeals", source)
    try:
        nightly()
        (today,) = services.monitoring_day_compute(day=timezone.localdate())
    finally:
        figures.unregister("test-appeals")
    assert (today.appeals_opened, today.appeals_overturned) == (1, 1)


def test_the_appeals_app_registers_its_figures():
    assert "appeals" in figures._registry


def test_the_days_figures_are_kept_per_segment_of_the_active_policy(clock, settings):
    hand_rules(
        segments=[
            {
                "name": "high_bureau",
                "conditions": [{"feature": "bureau_score", "op": "gte", "value": 600}],
            }
        ]
    )
    for score in (650, 700, 450, None):
        line_with_bureau(score)
    nightly()

    days = {d.segment: d for d in services.monitoring_day_compute(day=timezone.localdate())}

    assert {s: (d.evaluated, d.adverse) for s, d in days.items()} == {
        "high_bureau": (2, 0),
        "": (2, 2),
    }
    assert days[""].reasons == {"bureau_score_low": 1, "bureau_score_missing": 1}
    assert days["high_bureau"].scores == {"600": 2}
