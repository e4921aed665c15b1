"""A supervisor drafts a campaign in the browser, previews it, starts it, watches a run's
progress bar and lifts it, on a phone and a desk, in both languages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from credit import services
from credit.models import CampaignState, CreditLineStatus, PolicyCampaign, ReasonCode
from credit.services import campaigns as campaign_services
from tests.credit.factories import make_line
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.test_credit_admin import sign_in
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _half_run_campaign(supervisor, monkeypatch, settings) -> PolicyCampaign:
    """A campaign stopped half-way, as a worker leaves it between two chunks."""
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause ¥8,000 lines",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            min_limit="8000.00",
            max_limit="8000.00",
        ),
        actor=supervisor,
    )
    with monkeypatch.context() as patch:
        patch.setattr(campaign_services, "_queue_chunk", lambda campaign_id: None)
        services.campaign_start(campaign=campaign, actor=supervisor)
    services.campaign_run_chunk(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_supervisor_previews_starts_watches_and_lifts_a_campaign(
    new_page, language, viewport, size, monkeypatch, settings
):
    now = timezone.now()
    long_standing = [make_line(opened_at=now - timedelta(days=800)) for _ in range(3)]
    make_line(opened_at=now - timedelta(days=40))
    for _ in range(4):
        make_line(credit_limit="8000.00", opened_at=now - timedelta(days=90))
    supervisor = StaffFactory(email="sup@example.com", role=roles.SUPERVISOR)
    halfway = _half_run_campaign(supervisor, monkeypatch, settings)

    page = new_page(viewport=viewport, language=language)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    sign_in(page, "sup@example.com")
    page.goto(reverse("admin:credit_policycampaign_add"))
    page.locator("#id_name").fill("Pause lines open 24 months or more")
    page.locator("#id_action").select_option("freeze")
    page.locator("#id_reason_code").select_option(label="policy_adjustment")
    page.locator("#id_min_tenure_months").fill("24")
    page.locator("#id_ends_on").fill((now + timedelta(days=30)).date().isoformat())
    page.locator("input[name=_continue]").click()

    panel = page.locator(".credit-campaign-panel")
    expect(panel.locator(".credit-campaign-table")).to_contain_text("3")
    screenshot(page, f"credit-campaign-preview-{size}-{language}")
    panel.locator("button[type=submit]").click()
    expect(panel.locator("progress")).to_have_attribute("value", "100")
    screenshot(page, f"credit-campaign-completed-{size}-{language}")
    for line in long_standing:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.FROZEN

    page.goto(reverse("admin:credit_policycampaign_change", args=[halfway.pk]))
    expect(page.locator(".credit-campaign-panel progress")).to_have_attribute("value", "50")
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    screenshot(page, f"credit-campaign-running-{size}-{language}")

    page.goto(reverse("admin:credit_policycampaign_changelist"))
    expect(page.locator("progress.credit-progress")).to_have_count(2)
    screenshot(page, f"credit-campaign-list-{size}-{language}")

    campaign = PolicyCampaign.objects.get(name="Pause lines open 24 months or more")
    page.goto(reverse("admin:credit_policycampaign_change", args=[campaign.pk]))
    page.locator(".credit-campaign-panel form[action$='/lift/'] button").click()
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.LIFTED
    for line in long_standing:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.ACTIVE
    # No asset is missing and nothing breaks the CSP (Chromium's own /favicon.ico aside).
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
    assert [e for e in page.console_errors if "404" not in e] == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_supervisor_previews_and_runs_a_correction_and_decides_a_line_by_hand(
    new_page, language, viewport, size
):
    from credit.models import DecisionPolicy, SystemCorrection
    from tests.credit.factories import multi_lending, repayments

    now = timezone.now()
    wrong = []
    for _ in range(2):
        line = make_line(opened_at=now - timedelta(days=320))
        repayments(line, first_due=(now - timedelta(days=300)).date(), count=9)
        multi_lending(line, start=now - timedelta(days=12))
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
        wrong.append(line)
    supervisor = StaffFactory(email="sup@example.com", role=roles.SUPERVISOR)
    correction = services.correction_save_draft(
        correction=SystemCorrection(
            name="Policy v1 misread the partner feed",
            decided_from=now - timedelta(hours=1),
            decided_to=now + timedelta(hours=1),
            policy=DecisionPolicy.objects.get(version=1),
        ),
        actor=supervisor,
    )

    page = new_page(viewport=viewport, language=language)
    sign_in(page, "sup@example.com")
    page.goto(reverse("admin:credit_systemcorrection_change", args=[correction.pk]))
    expect(page.locator(".credit-campaign-panel")).to_contain_text("2")
    screenshot(page, f"credit-correction-preview-{size}-{language}")
    page.locator(".credit-campaign-panel button[type=submit]").click()
    expect(page.locator(".credit-campaign-panel progress")).to_have_attribute("value", "100")
    screenshot(page, f"credit-correction-completed-{size}-{language}")
    for line in wrong:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.ACTIVE

    page.goto(reverse("admin:credit_creditline_change", args=[wrong[0].pk]))
    page.locator(
        f"a[href='{reverse('admin:credit_creditline_decide', args=[wrong[0].pk])}']"
    ).click()
    page.locator("#id_outcome").select_option("reduce_limit")
    page.locator("#id_new_limit").fill("90000")
    page.locator("#id_comment").fill("Trim after review")
    page.locator("input[type=submit]").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    screenshot(page, f"credit-manual-decision-{size}-{language}")
    wrong[0].refresh_from_db()
    assert wrong[0].status == CreditLineStatus.ACTIVE


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_a_supervisor_releases_a_campaign_the_breaker_held(
    new_page, language, viewport, size, settings
):
    settings.CREDIT_BREAKER_MIN_LINES = 2
    now = timezone.now()
    lines = [make_line(opened_at=now - timedelta(days=400)) for _ in range(3)]
    supervisor = StaffFactory(email="sup@example.com", role=roles.SUPERVISOR)
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause everyone (a typo in the segment)",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
        ),
        actor=supervisor,
    )
    services.campaign_start(campaign=campaign, actor=supervisor)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.HELD

    page = new_page(viewport=viewport, language=language)
    sign_in(page, "sup@example.com")
    page.goto(reverse("admin:credit_policycampaign_change", args=[campaign.pk]))
    expect(page.locator(".credit-campaign-held")).to_be_visible()
    screenshot(page, f"credit-campaign-held-{size}-{language}")
    page.locator(".credit-campaign-panel form[action$='/release/'] button").click()
    expect(page.locator(".credit-campaign-panel progress")).to_have_attribute("value", "100")
    for line in lines:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.FROZEN
