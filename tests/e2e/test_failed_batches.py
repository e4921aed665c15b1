"""A supervisor finds a batch and a campaign stopped by a chunk that failed every retry, reads
which chunk and why (and the lines waiting for the batch), and retries each from its page, on
a phone and a desk, in both languages."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from config.celery import app
from credit import services
from credit.models import (
    CampaignState,
    CreditDecision,
    DecisionPolicy,
    EvaluationBatch,
    EvaluationBatchKind,
    EvaluationBatchState,
    PolicyCampaign,
    ReasonCode,
)
from credit.services import campaigns as campaign_services
from tests.credit.factories import make_line, multi_lending, repayments
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.test_credit_admin import sign_in
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def faults(settings):
    """Chunks of two; a band nothing leaves; eager tasks keep their errors, as a worker does."""
    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    settings.CREDIT_BREAKER_MIN_LINES = 1000
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    broken: set[int] = set()
    try:
        yield broken
    finally:
        app.conf.task_eager_propagates = propagates


def _lines(count, now):
    lines = []
    for _ in range(count):
        line = make_line(opened_at=now - timedelta(days=320))
        repayments(line, first_due=(now - timedelta(days=300)).date(), count=9)
        lines.append(line)
    return lines


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_supervisor_reads_and_retries_a_failed_batch_and_a_failed_campaign(
    new_page, language, viewport, size, faults, monkeypatch
):
    now = timezone.now()
    lines = _lines(3, now)
    faults.add(lines[2].pk)
    reevaluate, apply_rows = services.credit_lines_reevaluate, campaign_services._apply_rows

    def flaky_reevaluate(*, line_ids, **kw):
        if faults & set(line_ids) and kw.get("batch_id"):
            raise OperationalError("canceling statement due to statement timeout")
        return reevaluate(line_ids=line_ids, **kw)

    def flaky_apply(campaign, entries, by_id, *, now):
        if faults & {e.line_id for e in entries}:
            raise OperationalError("could not serialize access due to concurrent update")
        return apply_rows(campaign, entries, by_id, now=now)

    monkeypatch.setattr(services, "credit_lines_reevaluate", flaky_reevaluate)
    monkeypatch.setattr(campaign_services, "_apply_rows", flaky_apply)

    supervisor = StaffFactory(email="sup@example.com", role=roles.SUPERVISOR)
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.keep_min_score, policy.reduce_min_score, policy.freeze_min_score = 900, 890, 880
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory(role=roles.SUPERVISOR))
    services.policy_activate(policy=policy, actor=supervisor)
    batch = EvaluationBatch.objects.get(kind=EvaluationBatchKind.ACTIVATION)
    assert batch.state == EvaluationBatchState.FAILED
    # New events for a line meanwhile: it waits for the batch.
    multi_lending(lines[0], start=now - timedelta(days=10))
    services.credit_lines_reevaluate(line_ids=[lines[0].pk], trigger="event")

    page = new_page(viewport=viewport, language=language)
    sign_in(page, "sup@example.com")
    page.goto(reverse("admin:credit_evaluationbatch_change", args=[batch.pk]))
    panel = page.locator(".credit-campaign-panel")
    expect(panel.locator(".credit-failures-table")).to_contain_text(f"#{lines[2].pk}")
    expect(panel.locator(".credit-failures-table")).to_contain_text("statement timeout")
    screenshot(page, f"credit-batch-failed-{size}-{language}")
    faults.clear()
    panel.locator("form[action$='/retry/'] button").click()
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    assert CreditDecision.objects.count() == 3
    screenshot(page, f"credit-batch-retried-{size}-{language}")

    # A campaign over fresh lines, its second chunk failing every retry.
    more = _lines(3, now - timedelta(days=400))
    faults.add(more[2].pk)
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause long-standing lines",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            min_tenure_months=20,
        ),
        actor=supervisor,
    )
    services.campaign_start(campaign=campaign, actor=supervisor)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.FAILED
    page.goto(reverse("admin:credit_policycampaign_change", args=[campaign.pk]))
    panel = page.locator(".credit-campaign-panel")
    expect(panel.locator(".credit-run-error")).to_contain_text("concurrent update")
    assert page.locator("meta[http-equiv=refresh]").count() == 0  # it waits for a person
    screenshot(page, f"credit-campaign-failed-{size}-{language}")
    faults.clear()
    panel.locator("form[action$='/retry/'] button").click()
    expect(panel.locator("progress")).to_have_attribute("value", "100")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    assert [e for e in page.console_errors if "404" not in e] == []
