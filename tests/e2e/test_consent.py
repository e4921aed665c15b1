"""In the browser, on a phone, in both languages: a borrower signing in meets the new privacy
policy before anything else, cannot go on without ticking the box, accepts, and lands where
they were going; the reason's link on My credit opens its Help section."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import PolicyAcceptance, PolicyVersion
from accounts.roles import SUPERVISOR
from accounts.services import policy_version_publish, policy_version_save_draft
from tests.appeals import factories as f
from tests.credit.story import closing_line
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.test_my_credit import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": ("Before you continue", "Tick the box to accept, or sign out.", "Accept and continue"),
    "zh-hans": ("继续使用前请确认", "请勾选以确认同意，或退出登录。", "同意并继续"),
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_consent_page_comes_first_and_accepting_goes_on(new_page, language):
    line = closing_line(days_ago=7)
    version = policy_version_publish(
        version=policy_version_save_draft(
            version=PolicyVersion(
                document="privacy_policy",
                version="2026-11",
                title_zh="隐私政策",
                title_en="Privacy policy",
                body_zh="我们如何使用您的信息。",
                body_en="How we use your information.",
                effective_on=timezone.localdate(),
            )
        ),
        actor=f.staff(SUPERVISOR),
    )
    heading, refusal, accept = WORDS[language]
    page = new_page(PHONE, language)
    sign_in(page, line.borrower)
    page.wait_for_url("**/consent/**")
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator(".tabbar")).to_have_count(0)  # nothing else to go to yet
    page.get_by_role("button", name=accept).click()
    expect(page.locator(".errorlist")).to_contain_text(refusal)
    assert not PolicyAcceptance.objects.exists()
    assert [e for e in page.console_errors if "400" not in e] == []  # the refused form is a 400
    page.console_errors.clear()
    screenshot(page, f"consent-phone-{language}")
    page.locator("input[name=agree]").check()
    page.get_by_role("button", name=accept).click()
    page.wait_for_url("**/credit/")
    assert PolicyAcceptance.objects.get().policy_version == version

    page.locator(".reason__more a").first.click()
    page.wait_for_url("**/help/#why-*")
    anchor = page.url.split("#", 1)[1]
    expect(page.locator(f"#{anchor}")).to_be_in_viewport()
    assert page.console_errors == []
