"""Policy campaigns in the admin: a supervisor drafts, previews, starts, watches, lifts."""

from datetime import timedelta

import pytest
from django.urls import reverse

from credit.models import (
    CampaignState,
    CreditDecision,
    CreditLineStatus,
    PolicyCampaign,
    ReasonCode,
)
from tests.credit.conftest import NOW
from tests.credit.factories import make_line
from tests.factories import StaffFactory
from tests.support import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies["recourse_language"] = "en"  # the sentences checked are the English ones
    return client


def add_form(**overrides):
    data = {
        "name": "Pause long-standing lines for the product review",
        "action": "freeze",
        "reduce_percent": "",
        "reason_code": ReasonCode.objects.get(code="policy_adjustment").pk,
        "notice_days": "30",
        "ends_on": "2026-01-31",
        "note": "Q1 product review",
        "min_tenure_months": "6",
        "max_tenure_months": "",
        "min_limit": "",
        "max_limit": "",
    }
    data.update(overrides)
    return data


def test_a_supervisor_drafts_previews_starts_and_lifts_a_campaign(
    client, clock, sent_notices, django_capture_on_commit_callbacks
):
    old = [make_line(opened_at=NOW - timedelta(days=400)) for _ in range(3)]
    make_line(opened_at=NOW - timedelta(days=20))
    client.force_login(StaffFactory(role="supervisor"))

    response = client.post(reverse("admin:credit_policycampaign_add"), add_form())
    assert response.status_code == 302
    campaign = PolicyCampaign.objects.get()
    page = client.get(reverse("admin:credit_policycampaign_change", args=[campaign.pk]))
    shown = text(page)
    assert "3 credit lines are in this segment" in shown
    assert "Nothing has changed yet" in shown
    assert not CreditDecision.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:credit_policycampaign_start", args=[campaign.pk]))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    assert {line.status for line in _fresh(old)} == {CreditLineStatus.FROZEN}
    page = text(client.get(reverse("admin:credit_policycampaign_change", args=[campaign.pk])))
    assert "3 of 3 lines (100%)" in page
    assert "This pause ends by itself on" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:credit_policycampaign_lift", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.LIFTED
    assert {line.status for line in _fresh(old)} == {CreditLineStatus.ACTIVE}
    assert len(sent_notices) == 6


def _fresh(lines):
    for line in lines:
        line.refresh_from_db()
    return lines


def test_a_form_that_breaks_a_rule_shows_the_error_and_saves_nothing(client, clock):
    client.force_login(StaffFactory(role="supervisor"))
    response = client.post(
        reverse("admin:credit_policycampaign_add"), add_form(action="reduce", ends_on="")
    )
    assert response.status_code == 200
    assert "Give the share of the limit to take away" in text(response)
    assert not PolicyCampaign.objects.exists()


def test_an_agent_may_not_start_a_campaign(client, clock):
    supervisor = StaffFactory(role="supervisor")
    make_line(opened_at=NOW - timedelta(days=400))
    client.force_login(supervisor)
    client.post(reverse("admin:credit_policycampaign_add"), add_form())
    campaign = PolicyCampaign.objects.get()
    client.force_login(StaffFactory(role="agent"))
    response = client.post(reverse("admin:credit_policycampaign_start", args=[campaign.pk]))
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DRAFT
