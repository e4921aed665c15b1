import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import PASSWORD, BorrowerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "button", "greeting"),
    [("zh-hans", "中文", "您好，张伟"), ("en", "EN", "Hello, 张伟")],
)
def test_borrower_signs_in_on_a_phone(new_page, language, button, greeting):
    BorrowerFactory(email="zhang.wei@example.com", full_name="张伟")
    page = new_page(viewport=PHONE)
    page.goto("/")
    # the switcher on the sign-in page sets the language
    page.get_by_role("button", name=button, exact=True).click()
    screenshot(page, f"sign-in-phone-{language}")
    page.locator("#id_username").fill("zhang.wei@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(greeting)
    expect(page.locator("nav.tabbar")).to_be_visible()
    screenshot(page, f"my-credit-phone-{language}")
    assert page.console_errors == []  # no CSP violations, no broken assets


def test_wrong_password_then_desktop_layout(new_page):
    BorrowerFactory(email="li@example.com", full_name="Li Na", preferred_language="en")
    page = new_page(viewport=DESKTOP, language="en")
    page.goto("/login/")
    page.locator("#id_username").fill("li@example.com")
    page.locator("#id_password").fill("wrong")
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match our records")
    screenshot(page, "sign-in-error-desktop-en")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("nav.mainnav")).to_be_visible()
    expect(page.locator("nav.tabbar")).to_be_hidden()
    screenshot(page, "my-credit-desktop-en")
