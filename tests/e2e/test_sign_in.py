from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import PASSWORD, BorrowerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "button", "login", "greeting"),
    [
        ("zh-hans", "中文", "wang.fang@demo.recourse", "您好，王芳"),
        ("en", "EN", "emma.liu@demo.recourse", "Hello, Emma Liu"),
    ],
)
def test_demo_borrower_signs_in_on_a_phone(new_page, language, button, login, greeting):
    call_command("seed_demo", stdout=StringIO())
    page = new_page(viewport=PHONE)
    page.goto("/")
    # the switcher on the sign-in page sets the language
    page.get_by_role("button", name=button, exact=True).click()
    screenshot(page, f"sign-in-phone-{language}")
    page.locator("#id_username").fill(login)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(greeting)
    expect(page.locator("nav.tabbar")).to_be_visible()
    screenshot(page, f"demo-my-credit-phone-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
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
