"""On My credit the appeal action is in view without scrolling on a 375×667 phone (a sticky bar
above the tab bar), named for what it contests, not for a deadline; in both languages."""

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.credit.story import closing_line
from tests.e2e.conftest import DESKTOP, screenshot
from tests.e2e.test_my_credit import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL_PHONE = {"width": 375, "height": 667}
IN_VIEWPORT = """el => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0 && el.contains(hit);
}"""


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Appeal this closure"), ("zh-hans", "对关闭额度提出申诉")]
)
def test_the_appeal_action_is_in_view_without_scrolling(new_page, language, label):
    line = closing_line(days_ago=7)
    page = new_page(viewport=SMALL_PHONE, language=language)
    sign_in(page, line.borrower)
    action = page.locator(".action-bar").get_by_role("link", name=label)
    expect(action).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    # on screen, and not hidden under the tab bar or anything else
    assert action.evaluate(IN_VIEWPORT)
    text = action.inner_text()
    assert not any(ch.isdigit() for ch in text)  # named for the act, not a date
    screenshot(page, f"my-credit-sticky-action-phone-{language}")
    folder = ARTIFACTS / "screenshots"  # what the borrower sees first, without scrolling
    page.screenshot(path=str(folder / f"my-credit-first-screen-phone-{language}.png"))

    page.evaluate("window.scrollBy(0, 600)")  # still there while reading the reasons
    assert page.evaluate("window.scrollY") > 0
    assert action.evaluate(IN_VIEWPORT)
    action.click()
    page.wait_for_url("**/appeals/new/**")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_appeal_action_on_a_desktop(new_page, language):
    line = closing_line(days_ago=7)
    page = new_page(viewport=DESKTOP, language=language)
    sign_in(page, line.borrower)
    action = page.locator(".action-bar a")
    expect(action).to_be_visible()
    assert action.evaluate(IN_VIEWPORT)
    screenshot(page, f"my-credit-sticky-action-desktop-{language}")
