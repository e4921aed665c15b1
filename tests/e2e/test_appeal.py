"""A borrower files an appeal with a PDF on a phone in Chinese, answers a request for more
information, and sees the outcome. Staff steps go through the services."""

import pytest
from playwright.sync_api import expect

from appeals import services
from appeals.models import Appeal
from tests.appeals import factories as f
from tests.appeals.files import PDF, image_bytes
from tests.credit.story import closing_line
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.test_my_credit import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def files(tmp_path):
    pdf = tmp_path / "还款记录.pdf"
    pdf.write_bytes(PDF)
    png = tmp_path / "结清证明.png"
    png.write_bytes(image_bytes("PNG"))
    return pdf, png


def _fits(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_file_answer_and_see_the_outcome_on_a_phone_in_chinese(new_page, files, settings):
    pdf, png = files
    line = closing_line(days_ago=7)
    page = new_page(viewport=PHONE, language="zh-hans")
    sign_in(page, line.borrower)

    page.get_by_role("link", name="对此决定申诉").click()
    expect(page.get_by_role("heading", name="对此决定申诉")).to_be_visible()
    expect(page.locator(".hint-box")).to_contain_text("结清证明")
    file_input = page.locator("input[type=file]")
    assert file_input.get_attribute("accept") == "application/pdf,image/jpeg,image/png"
    # Nothing chosen: clear errors, nothing created.
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".errorlist").first).to_contain_text("请至少选择一项申诉理由")
    screenshot(page, "appeal-start-errors-phone-zh-hans")
    _fits(page, PHONE)
    # The refused form answers 400, which the browser logs; that one is expected.
    assert [e for e in page.console_errors if "400" not in e] == []
    page.console_errors.clear()

    page.get_by_label("我已结清其他借款").check()
    page.get_by_label("请说明情况").fill("我已经结清了其他平台的借款，一直按时还款。")
    file_input.set_input_files(str(pdf))
    screenshot(page, "appeal-start-phone-zh-hans")
    page.get_by_role("button", name="保存草稿").click()

    expect(page.get_by_role("heading", name="请核对您的申诉，然后提交")).to_be_visible()
    expect(page.locator(".files")).to_contain_text("还款记录.pdf")
    screenshot(page, "appeal-draft-phone-zh-hans")
    _fits(page, PHONE)
    page.get_by_role("button", name="提交申诉").click()
    expect(page.locator(".chip").first).to_have_text("已提交")
    expect(page.locator(".stepper")).to_be_visible()
    expect(page.get_by_text("预计答复时间")).to_be_visible()
    screenshot(page, "appeal-submitted-phone-zh-hans")

    # Staff ask for more information.
    appeal = Appeal.objects.get()
    agent = f.agent()
    services.appeal_start_review(appeal=appeal, actor=agent)
    services.appeal_request_info(
        appeal=appeal, actor=agent, request="请上传其他平台出具的结清证明。"
    )
    page.reload()
    expect(page.locator(".card--attention")).to_contain_text("请上传其他平台出具的结清证明。")
    expect(page.locator(".stepper [aria-current=step]")).to_contain_text("待补充材料")
    screenshot(page, "appeal-info-requested-phone-zh-hans")
    _fits(page, PHONE)
    page.get_by_label("您的回复").fill("已上传结清证明，请查收。")
    page.locator("#reply input[type=file]").set_input_files(str(png))
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".flash")).to_contain_text("您的回复已发送。")
    expect(page.locator(".thread")).to_contain_text("已上传结清证明，请查收。")
    expect(page.locator(".files")).to_contain_text("结清证明.png")

    # A reviewer approves: the outcome, with before and after.
    appeal.refresh_from_db()
    services.appeal_approve(
        appeal=appeal, actor=f.reviewer(), explanation="结清证明有效，恢复额度。"
    )
    page.reload()
    expect(page.get_by_role("heading", name="您的申诉已通过")).to_be_visible()
    expect(page.locator(".compare")).to_contain_text("正常可用")  # before and after
    page.locator(".rating__option").nth(4).click()
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".flash")).to_contain_text("感谢您的反馈")
    screenshot(page, "appeal-approved-phone-zh-hans")
    _fits(page, PHONE)

    page.goto("/credit/")
    expect(page.locator(".status-card")).to_contain_text("正常可用")
    assert page.console_errors == []


@pytest.mark.parametrize(
    ("language", "viewport"),
    [("en", PHONE), ("en", DESKTOP), ("zh-hans", DESKTOP)],
)
def test_denied_appeal_page_and_my_credit_hold(new_page, language, viewport):
    held = f.in_review_appeal()
    denied = f.denied_appeal()
    width = "phone" if viewport is PHONE else "desktop"

    page = new_page(viewport=viewport, language=language)
    sign_in(page, held.borrower)
    expect(page.locator(".countdown--held")).to_be_visible()  # the closure is on hold
    screenshot(page, f"my-credit-appeal-open-{width}-{language}")
    _fits(page, viewport)
    page.goto(f"/appeals/{held.pk}/")
    screenshot(page, f"appeal-in-review-{width}-{language}")
    _fits(page, viewport)

    page = new_page(viewport=viewport, language=language)
    sign_in(page, denied.borrower)
    page.goto(f"/appeals/{denied.pk}/")
    name = "Ask for a second review" if language == "en" else "申请复核"
    expect(page.get_by_role("button", name=name)).to_be_visible()
    screenshot(page, f"appeal-denied-{width}-{language}")
    _fits(page, viewport)
    page.goto("/appeals/")
    screenshot(page, f"appeal-list-{width}-{language}")
    assert page.console_errors == []
