"""A campaign on PostgreSQL with a real worker, killed half-way (SIGKILL) and resumed: every
line gets exactly one decision and, once the hourly sweep has run, one notice per channel."""

import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from credit import services
from credit.models import (
    CampaignLine,
    CampaignLineState,
    CampaignState,
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    PolicyCampaign,
    ReasonCode,
)
from credit.previews import campaign_preview
from notifications.models import Notification
from tests.conftest import start_celery_worker, stop_celery_worker, wait_until
from tests.credit.factories import make_line
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,  # the worker process must see the test database
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

LINES = 300
CHUNK = 3


def _wait_for(predicate, what: str, timeout: float = 90) -> None:
    wait_until(predicate, what, timeout)


def _campaign(supervisor) -> PolicyCampaign:
    return services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause for the product review",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            notice_days=30,
            min_tenure_months=6,
        ),
        actor=supervisor,
    )


def test_a_campaign_killed_half_way_resumes_with_one_decision_and_one_notice_per_line(
    redis_url, monkeypatch, settings
):
    settings.CREDIT_BREAKER_MIN_LINES = LINES + 1  # the breaker has its own tests
    monkeypatch.setenv("CREDIT_CAMPAIGN_CHUNK_SIZE", str(CHUNK))
    monkeypatch.setenv("CREDIT_CAMPAIGN_TASK_SECONDS", "1")
    monkeypatch.setenv("NOTIFICATIONS_SMS_BACKEND", "notifications.sms.LocMemSmsBackend")
    supervisor = StaffFactory(role="supervisor")
    opened = timezone.now() - timedelta(days=400)
    lines = [make_line(opened_at=opened) for _ in range(LINES)]
    make_line(opened_at=timezone.now() - timedelta(days=10))  # outside the segment
    campaign = _campaign(supervisor)
    assert campaign_preview(campaign).by_outcome == {"freeze": LINES}

    was_eager = app.conf.task_always_eager
    try:
        proc, log = start_celery_worker(redis_url, "campaign-worker-1.log")
        try:
            services.campaign_start(campaign=campaign, actor=supervisor)
            _wait_for(
                lambda: PolicyCampaign.objects.get(pk=campaign.pk).lines_done >= LINES // 4,
                "a quarter of the lines",
            )
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            stop_celery_worker(proc, log)

        campaign.refresh_from_db()
        assert campaign.state == CampaignState.RUNNING
        assert LINES // 4 <= campaign.lines_done < LINES, "the worker was not killed half-way"
        applied = CampaignLine.objects.filter(state=CampaignLineState.APPLIED).count()
        assert CreditDecision.objects.count() == applied == campaign.lines_done

        proc, log = start_celery_worker(redis_url, "campaign-worker-2.log")
        try:
            later = timezone.now() + timedelta(minutes=10)
            assert services.campaigns_resume_stalled(now=later) == 1
            _wait_for(
                lambda: PolicyCampaign.objects.get(pk=campaign.pk).state == CampaignState.COMPLETED,
                "the campaign to complete",
            )
        finally:
            stop_celery_worker(proc, log)
    finally:
        app.conf.task_always_eager = was_eager

    # The hourly sweep sends any notice whose task died with the first worker, and no other.
    services.decision_notices_sweep()
    ids = {line.pk for line in lines}
    per_line = Counter(CreditDecision.objects.values_list("line_id", flat=True))
    assert set(per_line) == ids
    assert set(per_line.values()) == {1}
    assert set(CreditLine.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        CreditLineStatus.FROZEN
    }
    notices = Counter(
        Notification.objects.filter(event="credit.frozen").values_list("object_id", "channel")
    )
    decision_ids = set(CreditDecision.objects.values_list("pk", flat=True))
    assert {int(object_id) for object_id, _ in notices} == decision_ids
    assert set(notices.values()) == {1}
    channels = Counter(channel for _, channel in notices)
    assert channels and set(channels.values()) == {LINES}
