"""The circuit breaker on campaigns: a campaign whose adverse share is out of band is held,
nothing applied and no borrower told; supervisors are told; release runs it, discard not."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from credit import services
from credit.engine import breaker as rules
from credit.models import (
    CampaignState,
    CreditDecision,
    CreditLineStatus,
    PolicyCampaign,
    ReasonCode,
)
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.factories import make_line
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def band(settings):
    settings.CREDIT_BREAKER_MIN_LINES = 2
    settings.CREDIT_BREAKER_ABSOLUTE_SHARE = 0.5
    settings.CREDIT_BREAKER_MULTIPLE = 3


def start_broad_campaign(supervisor):
    """A campaign that pauses 3 of 4 lines: 75% adverse, above the 50% band."""
    lines = [make_line(opened_at=NOW - timedelta(days=400)) for _ in range(3)]
    make_line(credit_limit="9000.00", opened_at=NOW - timedelta(days=400))
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Deliberately broken: pause nearly everyone",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            min_limit="10000.00",
        ),
        actor=supervisor,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_start(campaign=campaign, actor=supervisor)
    campaign.refresh_from_db()
    return campaign, lines


def test_a_campaign_out_of_band_is_held_and_nothing_is_told_to_any_borrower(
    clock, sent_notices, band
):
    supervisor = StaffFactory(role="supervisor")
    agent = StaffFactory(role="agent")
    campaign, lines = start_broad_campaign(supervisor)

    assert campaign.state == CampaignState.HELD
    assert campaign.held_because == rules.TOO_MANY_LINES
    assert not CreditDecision.objects.exists()
    assert {line.status for line in lines} == {CreditLineStatus.ACTIVE}
    assert len(sent_notices) == 0
    told = Notification.objects.filter(event="staff.batch_held")
    assert set(told.values_list("recipient", flat=True)) == {supervisor.pk}
    assert agent.pk not in told.values_list("recipient", flat=True)
    # A held campaign does not run, whatever task turns up.
    assert services.campaign_run_chunk(campaign_id=campaign.pk) == 0


def test_a_released_campaign_runs_and_its_notices_go(clock, sent_notices, band):
    supervisor = StaffFactory(role="supervisor")
    campaign, lines = start_broad_campaign(supervisor)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_release(campaign=campaign, actor=supervisor)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    assert (campaign.reviewed_by, campaign.reviewed_at) == (supervisor, NOW)
    for line in lines:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.FROZEN
    assert [n["event"] for n in sent_notices] == ["credit.frozen"] * 3


def test_a_discarded_campaign_changes_nothing_and_is_recorded(clock, sent_notices, band):
    supervisor = StaffFactory(role="supervisor")
    campaign, lines = start_broad_campaign(supervisor)
    services.campaign_discard(campaign=campaign, actor=supervisor)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DISCARDED
    assert campaign.reviewed_by == supervisor
    assert services.campaign_run_chunk(campaign_id=campaign.pk) == 0
    assert not CreditDecision.objects.exists()
    assert len(sent_notices) == 0
    with pytest.raises(ValidationError):
        services.campaign_release(campaign=campaign, actor=supervisor)


@pytest.mark.parametrize(
    ("adverse", "evaluated", "trailing", "expected"),
    [
        (1, 1000, None, None),  # below the minimum: never held
        (60, 1000, None, rules.TOO_MANY_LINES),  # 6% > 5%
        (40, 1000, 0.01, rules.ABOVE_TRAILING_RATE),  # 4% > 3 x 1%
        (40, 1000, 0.02, None),  # 4% <= 3 x 2%
        (40, 1000, None, None),  # no history, under the absolute share
    ],
)
def test_the_band(adverse, evaluated, trailing, expected):
    band = rules.BreakerBand(multiple=3, absolute_share=0.05, min_lines=10)
    assert (
        rules.held_because(band, adverse=adverse, evaluated=evaluated, trailing_rate=trailing)
        == expected
    )
