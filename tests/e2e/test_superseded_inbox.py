"""In the browser: after the line is restored, its old closing notice reads "no longer applies"
in the inbox and on its page, and no longer counts as unread (phone and desktop, both
languages)."""

import pytest
from playwright.sync_api import expect

from notifications.models import Notification
from tests.credit.story import restored_line
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.test_my_credit import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "viewport", "chip"),
    [("zh-hans", PHONE, "已不再适用"), ("en", DESKTOP, "No longer applies")],
)
def test_the_old_closing_notice_no_longer_applies(new_page, language, viewport, chip):
    line = restored_line()
    old = Notification.objects.get(
        recipient=line.borrower, channel="inbox", event="credit.closure_scheduled"
    )
    page = new_page(viewport=viewport, language=language)
    sign_in(page, line.borrower)
    page.goto("/messages/")
    item = page.locator(f'a[href="/messages/{old.pk}/"]')
    expect(item).to_contain_text(chip)
    expect(item).not_to_have_class("inbox-item is-unread")
    name = "phone" if viewport is PHONE else "desktop"
    screenshot(page, f"inbox-superseded-{name}-{language}")
    item.click()
    expect(page.locator(".message__header .chip")).to_have_text(chip)
    expect(page.locator(".alert")).to_be_visible()
    screenshot(page, f"message-superseded-{name}-{language}")
