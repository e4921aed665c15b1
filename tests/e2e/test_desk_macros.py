"""Issue 11: a macro with placeholders and an action, offered where the action is taken.
The typical case, read → reply → approve, counted in a browser: clicks and page loads
after the case is open."""

import pytest
from playwright.sync_api import expect

from appeals import services
from appeals.models import AppealStatus
from tests.appeals import factories as f
from tests.e2e.conftest import DESKTOP, screenshot
from tests.e2e.test_desk import open_case, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_read_reply_and_approve_with_a_macro_in_two_clicks_and_one_load(new_page):
    reviewer = f.reviewer(full_name="Reviewer Wu")
    services.canned_response_upsert(
        title="Approve: records verified",
        action="approve",
        body_zh="{borrower_name}，您好：我们核实了申诉 {reference} 的材料，"
        "“{reasons}”已不再成立，您的额度已恢复。",
        body_en="Dear {borrower_name}, we checked the documents for appeal {reference}: "
        "“{reasons}” no longer applies and your credit line is restored.",
    )
    appeal = f.in_review_appeal(worker=reviewer)
    services.appeal_borrower_message(
        appeal=appeal, actor=appeal.borrower, body="已上传结清证明，请查收。"
    )
    page = new_page(viewport=DESKTOP, language="en")
    sign_in(page, reviewer)
    open_case(page, appeal)  # opened: counting starts here
    loads, clicks = [], 0
    page.on("load", lambda _page: loads.append(page.url))

    # Read: the borrower's message is on the page, no click needed.
    expect(page.locator(".desk-msg-borrower")).to_contain_text("已上传结清证明")
    # Reply and approve: the macro fills the explanation the borrower reads and picks
    # "Approve" where the decision is recorded.
    page.locator("#canned-pick-decide").select_option(label="Approve: records verified")
    clicks += 1
    panel = page.locator(".desk-action-decide")
    expect(panel.locator("input[value='approve']")).to_be_checked()
    box = panel.locator("[name='decide-comment']")
    reasons = "；".join(r.reason_code.title_zh for r in appeal.decision.reasons.order_by("rank"))
    expect(box).to_have_value(
        f"{appeal.borrower.full_name}，您好：我们核实了申诉 {appeal.reference} 的材料，"
        f"“{reasons}”已不再成立，您的额度已恢复。"
    )
    screenshot(page, "desk-case-macro-1280-en")
    panel.locator("form.desk-form button[type=submit]").click()
    clicks += 1
    expect(page.locator(".desk-title")).to_contain_text("Approved")
    # The new page's text can be there before its load event fires (a busy machine).
    page.wait_for_load_state("load")

    assert clicks <= 3 and len(loads) <= 2, (clicks, loads)
    assert (clicks, len(loads)) == (2, 1)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.APPROVED
    assert appeal.outcome_explanation.startswith(appeal.borrower.full_name)
    assert "{" not in appeal.outcome_explanation
