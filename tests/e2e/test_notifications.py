"""Messages and notification settings in a real browser, phone first, both languages."""

import pytest
from playwright.sync_api import expect

from notifications.services import notify
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import PASSWORD, BorrowerFactory
from tests.notifications.factories import sample_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {
        "inbox": "消息中心",
        "closed": "您的信用额度已关闭",
        "settings": "通知设置",
        "legal": "重要通知",
        "saved": "您的通知设置已保存。",
        "sms": "短信",
        "save": "保存设置",
    },
    "en": {
        "inbox": "Messages",
        "closed": "Your credit line is closed",
        "settings": "Notification settings",
        "legal": "Important notices",
        "saved": "Your notification settings are saved.",
        "sms": "SMS",
        "save": "Save settings",
    },
}


def _sign_in(page, email):
    page.goto("/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()


def _seed(language):
    borrower = BorrowerFactory(
        email=f"reader-{language}@example.com", full_name="王芳", preferred_language=language
    )
    for event, key in (
        ("policy.updated", "policy"),
        ("appeal.submitted", "appeal"),
        ("credit.closed", "closed"),
    ):
        notify(recipient=borrower, event=event, context=sample_context(event), dedupe_key=key)
    return borrower


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_reading_messages_and_changing_settings_on_a_phone(new_page, language):
    words = TEXT[language]
    borrower = _seed(language)
    page = new_page(viewport=PHONE, language=language)
    _sign_in(page, borrower.email)
    badge = page.locator("nav.tabbar .badge")
    expect(badge).to_have_text("3")

    page.locator("nav.tabbar").get_by_role("link", name=words["inbox"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["inbox"])
    expect(page.locator(".inbox-item.is-unread")).to_have_count(3)
    screenshot(page, f"messages-phone-{language}")

    page.locator(".inbox-item", has_text=words["closed"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["closed"])
    expect(badge).to_have_text("2")
    screenshot(page, f"message-detail-phone-{language}")

    page.goto("/messages/settings/")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["settings"])
    expect(page.locator(".alert--info")).to_contain_text(words["legal"])
    screenshot(page, f"notification-settings-phone-{language}")
    credit_sms = page.locator("#id_credit__sms")
    expect(credit_sms).to_be_checked()
    credit_sms.uncheck()
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator(".flash")).to_contain_text(words["saved"])
    expect(page.locator("#id_credit__sms")).not_to_be_checked()
    # no horizontal scrolling at phone width
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.console_errors == []  # no CSP violations, no broken assets


def test_messages_and_settings_on_a_desktop(new_page):
    borrower = _seed("en")
    page = new_page(viewport=DESKTOP, language="en")
    _sign_in(page, borrower.email)
    expect(page.locator("nav.mainnav .badge")).to_have_text("3")
    page.goto("/messages/")
    screenshot(page, "messages-desktop-en")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator(".inbox-item.is-unread")).to_have_count(0)
    expect(page.locator("nav.mainnav .badge")).to_have_count(0)
    page.goto("/messages/settings/")
    screenshot(page, "notification-settings-desktop-en")
    assert page.console_errors == []
