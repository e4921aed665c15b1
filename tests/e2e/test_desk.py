"""The staff desk in a browser: an agent asks for information, a reviewer approves, a
supervisor extends one appeal and decides another's second review. Screenshots of the queue
and the case page at desktop and phone width, in both languages."""

import pytest
from playwright.sync_api import expect

from appeals import services
from appeals.models import AppealStatus
from tests.appeals import factories as f
from tests.appeals.files import pdf, png
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
S = AppealStatus


def broken_resources(page) -> list[str]:
    """4xx/5xx responses other than the browser's own favicon probe (the admin has none)."""
    failed = []
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return failed


def sign_in(page, user):
    page.goto("/admin/login/?next=/admin/appeals/appeal/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#result_list, .paginator").first).to_be_visible()


def open_case(page, appeal):
    page.goto(f"/admin/appeals/appeal/{appeal.pk}/change/")
    expect(page.locator(".desk-title h1")).to_have_text(appeal.reference)


def act(page, action, **fields):
    panel = page.locator(f".desk-action-{action}")
    # The composer's two actions are its two buttons ("kind"): press the one asked for.
    kind = fields.pop("kind", "public") if action == "message" else None
    for name, value in fields.items():
        control = panel.locator(f"[name='{action}-{name}']")
        if control.first.get_attribute("type") == "radio":
            panel.locator(f"[name='{action}-{name}'][value='{value}']").check()
        elif control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(str(value))
        else:
            control.fill(str(value))
    if kind:
        panel.locator(f"form.desk-form button.desk-send-{kind}").click()
        return
    panel.locator("form.desk-form button[type=submit]").click()


def test_agent_reviewer_and_supervisor_work_cases_in_the_admin(new_page):
    agent = f.agent(full_name="Agent Zhao")
    reviewer = f.reviewer(full_name="Reviewer Wu")
    supervisor = f.supervisor(full_name="Supervisor Lin")
    services.canned_response_upsert(
        title="Ask for settlement proof",
        body_zh="请上传其他平台借款的结清证明。",
        body_en="Please upload proof that your loans at other platforms are settled.",
    )
    first = f.draft_appeal()
    services.evidence_add(appeal=first, actor=first.borrower, upload=pdf("结清证明.pdf"))
    services.evidence_add(appeal=first, actor=first.borrower, upload=png("还款截图.png"))
    first = services.appeal_submit(appeal=first, actor=first.borrower)  # → Agent Zhao
    extended = f.in_review_appeal(worker=agent)
    second = f.denied_appeal(decider=reviewer, worker=agent)
    second = services.appeal_request_second_review(
        appeal=second, actor=second.borrower, statement="其他平台借款已全部结清，请复核。"
    )
    assert first.assignee == agent

    # --- the agent: queue, start review, ask for information ---
    page = new_page(viewport=DESKTOP, language="en")
    failed = broken_resources(page)
    sign_in(page, agent)
    page.goto("/admin/appeals/appeal/?queue=mine")
    expect(page.locator("#result_list")).to_contain_text(first.reference)
    screenshot(page, "desk-queue-desktop-en")
    open_case(page, first)
    act(page, "start_review", comment="Checking the repayment record first.")
    expect(page.locator(".messagelist")).to_contain_text("under review")
    page.locator("#canned-pick").select_option(label="Ask for settlement proof")
    box = page.locator("[name='message-comment']")
    expect(box).to_have_value("请上传其他平台借款的结清证明。")  # the borrower reads Chinese
    act(page, "request_info", comment="请上传其他平台借款的结清证明。")
    expect(page.locator(".desk-title")).to_contain_text("We need more information")
    expect(page.locator(".desk-msg-staff_public")).to_contain_text("结清证明")
    expect(page.locator(".desk-msg-internal")).to_contain_text("Checking the repayment record")
    expect(page.locator(".desk-evidence img")).to_be_visible()
    # Visible is not loaded: decode() waits for the image (and rejects if it is broken).
    width = page.locator(".desk-evidence img").evaluate(
        "img => img.decode().then(() => img.naturalWidth)"
    )
    assert width > 0
    expect(page.locator(".desk-evidence iframe")).to_be_visible()
    screenshot(page, "desk-case-desktop-en")
    assert failed == []
    assert [e for e in page.console_errors if "404" not in e] == []

    # The borrower answers (their side is the appeals pages; here through the service).
    services.appeal_borrower_message(
        appeal=first, actor=first.borrower, body="已上传结清证明，请查收。"
    )

    # --- the reviewer: approve ---
    page = new_page(viewport=DESKTOP, language="en")
    sign_in(page, reviewer)
    open_case(page, first)
    expect(page.locator(".desk-action-reassign")).to_have_count(0)
    act(page, "decide", outcome="approve", comment="您的还款记录良好，其他借款已结清。")
    expect(page.locator(".desk-title")).to_contain_text("Approved")
    first.refresh_from_db()
    assert first.status == S.APPROVED and first.decided_by == reviewer

    # --- the supervisor: extend one, decide another's second review ---
    page = new_page(viewport=DESKTOP, language="zh-hans")
    sign_in(page, supervisor)
    page.goto("/admin/appeals/appeal/")
    screenshot(page, "desk-queue-desktop-zh-hans")
    open_case(page, extended)
    act(page, "extend", comment="需要向征信机构核实信息，处理时间延长至30日。")
    expect(page.locator(".messagelist")).to_be_visible()
    extended.refresh_from_db()
    assert extended.extensions.count() == 1
    screenshot(page, "desk-case-desktop-zh-hans")
    open_case(page, second)
    act(page, "second_review", outcome="approve", comment="复核后恢复您的额度。")
    second.refresh_from_db()
    assert second.status == S.APPROVED and second.second_decided_by == supervisor
    assert [e for e in page.console_errors if "404" not in e] == []

    # --- phone width, both languages ---
    for language in ("zh-hans", "en"):
        page = new_page(viewport=PHONE, language=language)
        sign_in(page, supervisor)
        screenshot(page, f"desk-queue-phone-{language}")
        open_case(page, extended)
        screenshot(page, f"desk-case-phone-{language}")
