"""A supervisor finds a batch, a campaign, a system-error correction and a shadow run stopped
by a chunk that failed every retry, reads which chunk and why (and the lines waiting for the
batch), and retries or cancels each from its page, on a phone and a desk, in both languages."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from config.celery import app
from credit import selectors, services
from credit.models import (
    CampaignState,
    CorrectionState,
    CreditDecision,
    DecisionPolicy,
    EvaluationBatch,
    EvaluationBatchKind,
    EvaluationBatchState,
    PolicyCampaign,
    ReasonCode,
    Scorecard,
    ShadowRun,
    ShadowState,
    SystemCorrection,
)
from credit.services import campaigns as campaign_services
from credit.services import corrections as correction_services
from tests.credit.factories import make_line, multi_lending, repayments
from tests.credit.services.support import clean_line, reevaluate
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


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_supervisor_retries_a_failed_correction_and_cancels_a_failed_shadow_run(
    new_page, language, viewport, size, faults, monkeypatch
):
    now = timezone.now()
    wrong = []
    for _ in range(3):  # closed by v1 for loans elsewhere: the decisions to undo
        line = clean_line()
        multi_lending(line, start=now - timedelta(days=10))
        reevaluate(line)
        wrong.append(line)
    restore, read = correction_services._apply_plan, selectors.lines_for_evaluation

    def flaky_restore(line, plan, *, now):
        if line.pk in faults:
            raise OperationalError("canceling statement due to statement timeout")
        return restore(line, plan, now=now)

    def flaky_read(ids):
        if faults & set(ids):
            raise OperationalError("could not serialize access due to concurrent update")
        return read(ids)

    monkeypatch.setattr(correction_services, "_apply_plan", flaky_restore)
    monkeypatch.setattr(selectors, "lines_for_evaluation", flaky_read)
    faults.add(wrong[2].pk)

    supervisor = StaffFactory(email="sup@example.com", role=roles.SUPERVISOR)
    fix = services.correction_save_draft(
        correction=SystemCorrection(
            name="Faulty v1 run",
            decided_from=now - timedelta(hours=1),
            decided_to=now + timedelta(hours=1),
            policy=DecisionPolicy.objects.get(version=1),
        ),
        actor=supervisor,
    )
    services.correction_start(correction=fix, actor=supervisor)
    fix.refresh_from_db()
    assert fix.state == CorrectionState.FAILED

    page = new_page(viewport=viewport, language=language)
    sign_in(page, "sup@example.com")
    page.goto(reverse("admin:credit_systemcorrection_change", args=[fix.pk]))
    panel = page.locator(".credit-campaign-panel")
    expect(panel.locator(".credit-campaign-failed")).to_be_visible()
    expect(panel.locator(".credit-run-error")).to_contain_text("statement timeout")
    assert page.locator("meta[http-equiv=refresh]").count() == 0  # it waits for a person
    screenshot(page, f"credit-correction-failed-{size}-{language}")
    faults.clear()
    panel.locator("form[action$='/retry/'] button").click()
    expect(panel.locator("progress")).to_have_attribute("value", "100")
    fix.refresh_from_db()
    assert fix.state == CorrectionState.COMPLETED

    faults.add(wrong[2].pk)
    run = services.shadow_save_draft(
        run=ShadowRun(
            name="Try v1 again",
            scorecard=Scorecard.objects.get(status="active"),
            policy=DecisionPolicy.objects.get(status="active"),
        ),
        actor=supervisor,
    )
    services.shadow_start(run=run, actor=supervisor)
    run.refresh_from_db()
    assert run.state == ShadowState.FAILED
    page.goto(reverse("admin:credit_shadowrun_change", args=[run.pk]))
    panel = page.locator(".credit-campaign-panel")
    expect(panel.locator(".credit-run-error")).to_contain_text("concurrent update")
    screenshot(page, f"credit-shadow-failed-{size}-{language}")
    panel.locator("form[action$='/cancel/'] button").click()
    expect(page.locator("#run-panel-title")).to_be_visible()
    run.refresh_from_db()
    assert run.state == ShadowState.CANCELLED
    assert [e for e in page.console_errors if "404" not in e] == []
