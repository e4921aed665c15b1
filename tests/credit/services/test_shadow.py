"""Shadow runs: a draft version tried over every line, nothing applied, nobody told; counted
against outcomes computed by hand (tests/credit/monitoring_fixture.py), resumable by chunks;
activation warns when the run is missing or older than the data."""

from datetime import timedelta

import pytest
from django.test import TestCase

from credit import services
from credit.models import CreditDecision, CreditLine, ShadowLine, ShadowRun, ShadowState
from credit.previews import shadow_report
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.factories import event
from tests.credit.monitoring_fixture import draft_policy, hand_rules, line_with_bureau
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_lines():
    """Outcome now (active policy) -> outcome tried (draft), computed by hand:
    650: 600 points, keep -> keep;  560: 550, keep -> reduce_limit;  450: 500, pause -> close;
    no bureau score: 500, pause -> close;  700: 600, keep -> keep."""
    card, policy = hand_rules()
    lines = [line_with_bureau(s) for s in (650, 560, 450, None, 700)]
    return card, policy, lines


def start(run, supervisor):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.shadow_start(run=run, actor=supervisor)


def draft_run(card, policy, supervisor):
    return services.shadow_save_draft(
        run=ShadowRun(name="Stricter thresholds", scorecard=card, policy=policy),
        actor=supervisor,
    )


def test_shadow_counts_match_the_hand_computed_outcomes_and_change_nothing(clock, five_lines):
    card, _, lines = five_lines
    supervisor = StaffFactory(role="supervisor")
    run = draft_run(card, draft_policy(), supervisor)
    before = list(CreditLine.objects.order_by("id").values_list("status", "credit_limit"))

    assert start(run, supervisor) == 5
    run.refresh_from_db()

    assert run.state == ShadowState.COMPLETED and run.lines_done == 5
    report = shadow_report(run)
    assert report.lines == 5
    assert report.changed == 3
    assert report.transitions == {("freeze", "close"): 2, ("keep", "reduce_limit"): 1}
    # The reasons that drive the changes for the worse: the draft's first reason of each.
    assert report.reasons == {"bureau_score_low": 2, "bureau_score_missing": 1}
    assert report.by_segment == {"": {("freeze", "close"): 2, ("keep", "reduce_limit"): 1}}
    assert sorted(s.line_id for s in report.sample) == [lines[1].pk, lines[2].pk, lines[3].pk]
    # The score distribution the monitoring compares with: bins of 20 points.
    assert run.scores == {"": {"600": 2, "540": 1, "500": 2}}
    # Nothing applied, nobody told.
    assert list(CreditLine.objects.order_by("id").values_list("status", "credit_limit")) == before
    assert not CreditDecision.objects.exists()
    assert not Notification.objects.filter(event__startswith="credit.").exists()


def test_a_shadow_run_resumes_after_a_lost_worker_without_skipping_or_repeating_a_line(
    clock, five_lines, settings
):
    card, _, lines = five_lines
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    supervisor = StaffFactory(role="supervisor")
    run = draft_run(card, draft_policy(), supervisor)
    # Started, but the queued task is lost (the on-commit callback never runs).
    services.shadow_start(run=run, actor=supervisor)
    assert services.shadow_run_chunk(run_id=run.pk) == 2  # one chunk, then the worker dies
    run.refresh_from_db()
    assert (run.state, run.lines_done, run.progress_percent) == (ShadowState.RUNNING, 2, 40)

    # The stalled-run sweep picks it up.
    clock.shift(timedelta(minutes=10))
    assert services.shadow_runs_resume_stalled() == 1
    run.refresh_from_db()
    assert run.state == ShadowState.COMPLETED
    assert sorted(ShadowLine.objects.filter(run=run).values_list("line_id", flat=True)) == sorted(
        line.pk for line in lines
    )
    assert shadow_report(run).changed == 3


def test_activation_warns_when_the_shadow_run_is_missing_or_older_than_the_data(clock, five_lines):
    card, _, lines = five_lines
    supervisor = StaffFactory(role="supervisor")
    draft = draft_policy()
    assert services.shadow_freshness(draft).state == "missing"

    start(draft_run(card, draft, supervisor), supervisor)
    assert services.shadow_freshness(draft).state == "current"
    assert not services.shadow_freshness(draft).warns

    draft.keep_min_score = 620
    draft.save()
    freshness = services.shadow_freshness(draft)
    assert freshness.state == "stale" and freshness.rules_changed and not freshness.events_since

    draft.keep_min_score = 600
    draft.save()
    assert services.shadow_freshness(draft).state == "current"
    event(lines[0], "bureau_score", NOW - timedelta(hours=1), score=420)
    freshness = services.shadow_freshness(draft)
    assert freshness.state == "stale" and freshness.events_since and freshness.warns


def test_a_started_shadow_run_cannot_be_edited_and_an_unreadable_version_is_refused(
    clock, five_lines
):
    from django.core.exceptions import ValidationError

    card, _, _ = five_lines
    supervisor = StaffFactory(role="supervisor")
    broken = draft_policy()
    broken.knockouts = [{"name": "x", "outcome": "explode"}]
    broken.save()
    with pytest.raises(ValidationError):
        draft_run(card, broken, supervisor)
    assert not ShadowRun.objects.exists()

    run = draft_run(card, draft_policy(), supervisor)
    start(run, supervisor)
    run.name = "Renamed"
    with pytest.raises(ValidationError):
        services.shadow_save_draft(run=run, actor=supervisor)


def test_the_changes_are_broken_down_by_the_segment_the_draft_names(clock, five_lines):
    card, _, lines = five_lines
    supervisor = StaffFactory(role="supervisor")
    draft = draft_policy()
    draft.segments = [
        {
            "name": "high_bureau",
            "conditions": [{"feature": "bureau_score", "op": "gte", "value": 600}],
        },
        {
            "name": "mid_bureau",
            "conditions": [{"feature": "bureau_score", "op": "gte", "value": 500}],
        },
    ]
    draft.save()
    run = draft_run(card, draft, supervisor)
    start(run, supervisor)

    report = shadow_report(run)
    # 560 is in mid_bureau (keep -> reduce); 450 and the line with no bureau score in none.
    assert report.by_segment == {
        "": {("freeze", "close"): 2},
        "mid_bureau": {("keep", "reduce_limit"): 1},
    }
    segments = dict(ShadowLine.objects.filter(run=run).values_list("line_id", "segment"))
    assert segments == {
        lines[0].pk: "high_bureau",
        lines[1].pk: "mid_bureau",
        lines[2].pk: "",
        lines[3].pk: "",
        lines[4].pk: "high_bureau",
    }
