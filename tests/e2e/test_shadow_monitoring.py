"""A supervisor tries a draft policy in a shadow run in the browser (a progress bar while it
runs, then what would change), sees the draft's warning, and reads the monitoring charts; on a
phone and a desk, in both languages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from credit import services
from credit.models import MonitoringAlert, MonitoringDay, ShadowRun
from credit.services import shadow as shadow_services
from tests.credit.monitoring_fixture import draft_policy, hand_rules, line_with_bureau
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.test_credit_admin import sign_in
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _half_run(card, policy, supervisor, monkeypatch, settings) -> ShadowRun:
    """A shadow run stopped between two chunks, as a lost worker leaves it."""
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    run = services.shadow_save_draft(
        run=ShadowRun(name="Half-way run", scorecard=card, policy=policy), actor=supervisor
    )
    with monkeypatch.context() as patch:
        patch.setattr(shadow_services, "_queue_chunk", lambda run_id: None)
        services.shadow_start(run=run, actor=supervisor)
    services.shadow_run_chunk(run_id=run.pk)
    return run


def _monitoring_days(card, policy):
    today = timezone.localdate()
    for i in range(8):
        MonitoringDay.objects.create(
            day=today - timedelta(days=8 - i),
            scorecard=card,
            policy=policy,
            evaluated=12_000 + 40 * i,
            adverse=(12_000 + 40 * i) * (110 if i == 7 else 40 + i % 4) // 1000,
            scores={"600": 9000, "500": 3000},
            knockouts={"serious_overdue_elsewhere": 5 + i % 3},
            reasons={"multi_lending_applications": 300, "repayment_late": 180},
            appeals_opened=3 + i % 3,
            appeals_overturned=i % 2,
            drift=0.9 if i == 7 else 0.01 * (i % 3),
        )
    MonitoringAlert.objects.create(
        day=today - timedelta(days=1),
        kind="adverse_share",
        subject=f"scorecard v{card.version} · policy v{policy.version}",
        value=0.11,
        low=0.0,
        high=0.093,
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_supervisor_runs_a_shadow_run_and_reads_the_monitoring_charts(
    new_page, language, viewport, size, monkeypatch, settings
):
    card, policy = hand_rules()
    for score in (650, 560, 450, None, 700, 610, 590):
        line_with_bureau(score)
    draft = draft_policy()
    supervisor = StaffFactory(email="sup@example.com", role=roles.SUPERVISOR)
    halfway = _half_run(card, draft, supervisor, monkeypatch, settings)
    _monitoring_days(card, policy)
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 500

    page = new_page(viewport=viewport, language=language)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    sign_in(page, "sup@example.com")

    page.goto(reverse("admin:credit_shadowrun_change", args=[halfway.pk]))
    expect(page.locator(".credit-campaign-panel progress")).to_have_attribute("value", "28")
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    screenshot(page, f"credit-shadow-running-{size}-{language}")

    page.goto(reverse("admin:credit_shadowrun_add") + f"?policy={draft.pk}")
    page.locator("#id_name").fill("Stricter thresholds")
    page.locator("input[name=_continue]").click()
    panel = page.locator(".credit-campaign-panel")
    panel.locator("button[type=submit]").click()
    expect(panel.locator("progress")).to_have_attribute("value", "100")
    expect(panel.locator(".credit-campaign-table").first).to_contain_text("2")
    screenshot(page, f"credit-shadow-completed-{size}-{language}")

    page.goto(reverse("admin:credit_decisionpolicy_change", args=[draft.pk]))
    expect(page.locator(".credit-shadow-warning")).to_have_count(0)
    screenshot(page, f"credit-shadow-draft-policy-{size}-{language}")

    page.goto(reverse("admin:credit_monitoringday_changelist"))
    expect(page.locator(".credit-monitoring-charts figure")).to_have_count(6)
    screenshot(page, f"credit-monitoring-{size}-{language}")
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
    assert [e for e in page.console_errors if "404" not in e] == []
