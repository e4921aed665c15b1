"""From signing in to a submitted appeal in three page loads: My credit, the form (reasons,
statement, file and a review on one screen), the confirmation. Counted in the browser."""

import pytest
from playwright.sync_api import expect

from appeals.models import Appeal, AppealStatus
from tests.appeals.files import PDF
from tests.credit.story import closing_line
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.test_my_credit import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "appeal": "Appeal this decision",
        "ground": "I have closed my other loans",
        "statement": "Tell us what happened",
        "review": "Review my appeal",
        "submit": "Submit appeal",
        "submitted": "Submitted",
    },
    "zh-hans": {
        "appeal": "对此决定申诉",
        "ground": "我已结清其他借款",
        "statement": "请说明情况",
        "review": "核对我的申诉",
        "submit": "提交申诉",
        "submitted": "已提交",
    },
}


@pytest.mark.parametrize(("language", "viewport"), [("zh-hans", PHONE), ("en", DESKTOP)])
def test_three_page_loads_from_sign_in_to_a_submitted_appeal(
    new_page, tmp_path, language, viewport
):
    words = WORDS[language]
    pdf = tmp_path / "settlement.pdf"
    pdf.write_bytes(PDF)
    line = closing_line(days_ago=7)
    page = new_page(viewport=viewport, language=language)
    sign_in(page, line.borrower)
    expect(page.get_by_role("link", name=words["appeal"])).to_be_visible()
    page.wait_for_load_state("load")  # My credit, fully loaded: the first of the three
    loads = [page.url]
    page.on("load", lambda p: loads.append(p.url))

    page.get_by_role("link", name=words["appeal"]).click()
    page.get_by_label(words["ground"]).check()
    page.get_by_label(words["statement"]).fill("The loans at the other platforms are closed.")
    page.locator("input[type=file]").set_input_files(str(pdf))
    page.get_by_role("button", name=words["review"]).click()
    review = page.locator("[data-appeal-review]")
    expect(review).to_be_visible()
    expect(review).to_contain_text("settlement.pdf")
    expect(review).to_contain_text(words["ground"])
    width = "phone" if viewport is PHONE else "desktop"
    screenshot(page, f"appeal-one-screen-review-{width}-{language}")
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.locator(".appeal-header .chip")).to_have_text(words["submitted"])

    assert len(loads) == 3, loads
    appeal = Appeal.objects.get()
    assert appeal.status == AppealStatus.SUBMITTED
    assert appeal.evidence.get().original_name == "settlement.pdf"
    screenshot(page, f"appeal-one-screen-confirmation-{width}-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert page.console_errors == []


def test_the_file_picker_speaks_chinese_and_refuses_a_too_big_file_before_uploading(
    new_page, tmp_path, settings
):
    settings.APPEAL_EVIDENCE_MAX_BYTES = 1024
    big = tmp_path / "银行流水.pdf"
    big.write_bytes(PDF + b"0" * 2048)
    line = closing_line(days_ago=7)
    page = new_page(viewport=PHONE, language="zh-hans")
    sign_in(page, line.borrower)
    page.get_by_role("link", name="对此决定申诉").click()
    page.wait_for_url("**/appeals/new/**")
    # The picker's script listens from DOMContentLoaded; a file chosen before that is not seen
    # (a person cannot pick one that fast; the test can).
    page.wait_for_load_state("load")
    picker = page.locator(".file-pick")
    expect(picker).to_contain_text("选择文件")
    expect(picker).to_contain_text("未选择文件")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    page.locator("input[type=file]").set_input_files(str(big))
    expect(page.get_by_role("alert")).to_contain_text("银行流水.pdf")
    assert page.locator("input[type=file]").evaluate("el => el.files.length") == 0
    assert requests == []  # refused in the browser: nothing was sent
    screenshot(page, "appeal-file-too-big-phone-zh-hans")
