"""Policy campaigns: the segment, chunked runs that never decide a line twice, cancel, lift."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from credit import services
from credit.models import (
    CampaignLine,
    CampaignLineState,
    CampaignState,
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionTrigger,
    PolicyCampaign,
    ReasonCode,
)
from credit.previews import campaign_preview
from tests.credit.conftest import NOW
from tests.credit.factories import make_line
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(db):
    return StaffFactory(role="supervisor")


def draft(supervisor, **fields) -> PolicyCampaign:
    values = {
        "name": "Pause long-dormant lines",
        "action": "freeze",
        "reason_code": ReasonCode.objects.get(code="policy_adjustment"),
        "notice_days": 30,
    }
    values.update(fields)
    return services.campaign_save_draft(campaign=PolicyCampaign(**values), actor=supervisor)


def run_chunk(campaign) -> int:
    """One chunk, as the task runs it: its notices go out after it commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.campaign_run_chunk(campaign_id=campaign.pk)


def run_to_the_end(campaign) -> int:
    chunks = 0
    while run_chunk(campaign):
        chunks += 1
    campaign.refresh_from_db()
    return chunks


def lines(count, **kw):
    return [make_line(opened_at=NOW - timedelta(days=400), **kw) for _ in range(count)]


def test_a_freeze_campaign_pauses_each_line_of_its_segment_once_in_chunks(
    clock, sent_notices, supervisor, settings
):
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    young = make_line(opened_at=NOW - timedelta(days=30))
    old = lines(5)
    campaign = draft(supervisor, min_tenure_months=6, ends_on=date(2026, 1, 31))

    assert services.campaign_start(campaign=campaign, actor=supervisor) == 5
    assert run_to_the_end(campaign) == 3
    assert campaign.state == CampaignState.COMPLETED
    assert (campaign.lines_done, campaign.lines_total, campaign.progress_percent) == (5, 5, 100)

    for line in old:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.FROZEN
        (decision,) = line.decisions.all()
        assert decision.trigger == DecisionTrigger.CAMPAIGN
        assert decision.campaign_entry.campaign.ends_on == date(2026, 1, 31)
        assert [r.reason_code.code for r in decision.reasons_ranked] == ["policy_adjustment"]
    young.refresh_from_db()
    assert young.status == CreditLineStatus.ACTIVE
    assert [n["event"] for n in sent_notices] == ["credit.frozen"] * 5

    # Running it again (a redelivered task) decides nothing new.
    assert run_chunk(campaign) == 0
    assert CreditDecision.objects.count() == 5
    assert len(sent_notices) == 5


def test_a_chunk_that_fails_leaves_its_lines_waiting_and_the_rerun_decides_each_once(
    clock, sent_notices, supervisor, settings, monkeypatch
):
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    lines(4)
    campaign = draft(supervisor)
    services.campaign_start(campaign=campaign, actor=supervisor)
    assert run_chunk(campaign) == 2

    from credit.services import campaigns as module

    def crash(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(module, "_write_decisions", crash)
    with pytest.raises(RuntimeError):
        run_chunk(campaign)
    monkeypatch.undo()
    assert CampaignLine.objects.filter(state=CampaignLineState.PENDING).count() == 2

    run_to_the_end(campaign)
    assert CreditDecision.objects.count() == 4
    assert len(sent_notices) == 4
    assert CreditDecision.objects.values("line").distinct().count() == 4


def test_a_reduction_cuts_each_limit_by_its_share_and_lifting_gives_it_back(
    clock, sent_notices, supervisor
):
    (line,) = lines(1, credit_limit="20000.00")
    campaign = draft(supervisor, action="reduce", reduce_percent=25)
    services.campaign_start(campaign=campaign, actor=supervisor)
    run_to_the_end(campaign)
    line.refresh_from_db()
    assert line.credit_limit == Decimal("15000.00")

    assert services.campaign_lift(campaign=campaign, actor=supervisor) == 1
    run_to_the_end(campaign)
    line.refresh_from_db()
    assert campaign.state == CampaignState.LIFTED
    assert (line.status, line.credit_limit) == (CreditLineStatus.ACTIVE, Decimal("20000.00"))
    assert [n["event"] for n in sent_notices] == ["credit.limit_reduced", "credit.reinstated"]


def test_lifting_restores_paused_lines_but_leaves_a_line_decided_since(
    clock, sent_notices, supervisor
):
    first, second = lines(2)
    campaign = draft(supervisor)
    services.campaign_start(campaign=campaign, actor=supervisor)
    run_to_the_end(campaign)
    services.credit_line_decide(
        line=second,
        outcome="schedule_closure",
        trigger="staff",
        reason_codes=["policy_adjustment"],
        actor=supervisor,
    )

    services.campaign_lift(campaign=campaign, actor=supervisor)
    run_to_the_end(campaign)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == CreditLineStatus.ACTIVE
    assert second.status == CreditLineStatus.CLOSING
    states = dict(campaign.lines.values_list("line_id", "state"))
    assert states == {first.pk: CampaignLineState.RESTORED, second.pk: CampaignLineState.KEPT}


def test_a_cancelled_campaign_stops_and_never_touches_the_waiting_lines(
    clock, sent_notices, supervisor, settings
):
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    lines(5)
    campaign = draft(supervisor)
    services.campaign_start(campaign=campaign, actor=supervisor)
    run_chunk(campaign)
    services.campaign_cancel(campaign=campaign, actor=supervisor)

    assert run_chunk(campaign) == 0
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CANCELLED
    assert CreditLine.objects.filter(status=CreditLineStatus.FROZEN).count() == 2
    assert len(sent_notices) == 2
    with pytest.raises(ValidationError):
        services.campaign_cancel(campaign=campaign, actor=supervisor)


def test_a_line_that_moved_out_of_reach_after_the_start_is_skipped(clock, sent_notices, supervisor):
    first, second = lines(2)
    campaign = draft(supervisor)
    services.campaign_start(campaign=campaign, actor=supervisor)
    services.credit_line_decide(
        line=second, outcome="freeze", trigger="staff", reason_codes=["policy_adjustment"]
    )
    run_to_the_end(campaign)
    states = dict(campaign.lines.values_list("line_id", "state"))
    assert states == {first.pk: CampaignLineState.APPLIED, second.pk: CampaignLineState.SKIPPED}
    assert second.decisions.count() == 1


def test_a_closure_campaign_gives_its_notice_period(clock, sent_notices, supervisor):
    (line,) = lines(1)
    campaign = draft(supervisor, action="close", notice_days=45)
    services.campaign_start(campaign=campaign, actor=supervisor)
    run_to_the_end(campaign)
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING
    assert line.closing_effective_at == NOW + timedelta(days=45)
    assert sent_notices[0]["event"] == "credit.closure_scheduled"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"action": "reduce"}, "reduce_percent"),
        ({"action": "freeze", "reduce_percent": 10}, "reduce_percent"),
        ({"action": "close", "notice_days": 5}, "notice_days"),
        ({"action": "close", "ends_on": date(2026, 3, 1)}, "ends_on"),
        ({"ends_on": date(2025, 12, 1)}, "ends_on"),
        ({"statuses": ["closed"]}, "statuses"),
        ({"min_tenure_months": 12, "max_tenure_months": 6}, "max_tenure_months"),
        ({"reason_code_id": "multi_lending_excessive"}, "reason_code"),
    ],
)
def test_a_campaign_that_breaks_a_rule_is_refused_and_nothing_is_saved(
    clock, supervisor, fields, field
):
    values = {
        "name": "x",
        "action": "freeze",
        "reason_code": ReasonCode.objects.get(code="policy_adjustment"),
        "notice_days": 30,
    }
    if "reason_code_id" in fields:
        values["reason_code"] = ReasonCode.objects.get(code=fields.pop("reason_code_id"))
    values.update(fields)
    with pytest.raises(ValidationError) as raised:
        services.campaign_save_draft(campaign=PolicyCampaign(**values), actor=supervisor)
    assert field in raised.value.message_dict
    assert not PolicyCampaign.objects.exists()


def test_a_started_campaign_cannot_be_edited_or_started_again(clock, supervisor):
    lines(1)
    campaign = draft(supervisor)
    services.campaign_start(campaign=campaign, actor=supervisor)
    campaign.refresh_from_db()
    campaign.name = "changed"
    with pytest.raises(ValidationError):
        services.campaign_save_draft(campaign=campaign, actor=supervisor)
    with pytest.raises(ValidationError):
        services.campaign_start(campaign=campaign, actor=supervisor)
    assert CampaignLine.objects.count() == 1


def test_an_ended_pause_is_lifted_by_the_daily_job(clock, sent_notices, supervisor):
    (line,) = lines(1)
    campaign = draft(supervisor, ends_on=date(2025, 12, 20))
    services.campaign_start(campaign=campaign, actor=supervisor)
    run_to_the_end(campaign)

    assert services.campaigns_lift_ended(today=date(2025, 12, 19)) == 0
    assert services.campaigns_lift_ended(today=date(2025, 12, 20)) == 1
    run_to_the_end(campaign)
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE


def test_the_preview_counts_by_outcome_and_tenure_band_and_shows_a_sample(clock, supervisor):
    lines(3)
    make_line(opened_at=NOW - timedelta(days=30))
    frozen = lines(1)[0]
    services.credit_line_decide(
        line=frozen, outcome="freeze", trigger="staff", reason_codes=["policy_adjustment"]
    )
    campaign = draft(supervisor, action="close", statuses=[])

    preview = campaign_preview(campaign)
    assert preview.total == 5
    assert preview.by_outcome == {"schedule_closure": 5}
    assert dict(preview.by_band) == {"under_6_months": 1, "6_to_24_months": 4}
    assert preview.by_status == {"active": 4, "frozen": 1}
    assert len(preview.sample) == 5
    assert not PolicyCampaign.objects.exclude(state=CampaignState.DRAFT).exists()
