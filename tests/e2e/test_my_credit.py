import pytest
from playwright.sync_api import expect

from tests.credit.story import closing_line, restored_line
from tests.e2e.conftest import DESKTOP, PHONE, screenshot

# serialized_rollback: the v1 scorecard, policy and reason codes come from migrations.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, user):
    from tests.factories import PASSWORD

    page.goto("/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()


@pytest.mark.parametrize(
    ("language", "viewport", "countdown", "appeal", "change"),
    [
        ("zh-hans", PHONE, "还剩 23 天", "对此决定申诉", "结清其他平台的"),
        ("en", PHONE, "23 days left", "Appeal this decision", "close"),
        ("zh-hans", DESKTOP, "还剩 23 天", "对此决定申诉", "结清其他平台的"),
        ("en", DESKTOP, "23 days left", "Appeal this decision", "close"),
    ],
)
def test_closing_line_explained(new_page, language, viewport, countdown, appeal, change):
    line = closing_line(days_ago=7)
    page = new_page(viewport=viewport, language=language)
    sign_in(page, line.borrower)
    expect(page.locator(".countdown__days")).to_have_text(countdown)
    reasons = page.locator("ol.reasons > li")
    expect(reasons.first).to_be_visible()
    assert 1 <= reasons.count() <= 4
    expect(page.get_by_role("link", name=appeal)).to_be_visible()
    # What would change the decision, under the reason it answers (loans closed elsewhere).
    expect(page.locator(".reason__change").first).to_be_visible()
    expect(page.locator(".reason__change li").first).to_contain_text(change)
    expect(page.locator("svg.chart")).to_have_count(0)  # one decision: no trend to draw yet
    width = "phone" if viewport is PHONE else "desktop"
    screenshot(page, f"my-credit-closing-{width}-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert page.console_errors == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_restored_line_with_score_trend(new_page, language):
    line = restored_line()
    page = new_page(viewport=PHONE, language=language)
    sign_in(page, line.borrower)
    expect(page.locator("#restored-heading")).to_be_visible()
    expect(page.locator("svg.chart circle")).to_have_count(2)
    screenshot(page, f"my-credit-restored-phone-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
