"""Issue 11, the per-role matrix in a browser: agent, reviewer, supervisor and auditor each
open the queue and a case, see the actions their role allows and no other, and an action
they were not offered, posted anyway from their signed-in browser, is refused with the
reason and changes nothing. Each role's typical case is counted: clicks and page loads after
the case is open (read → reply → approve for those who decide: at most 3 and 2)."""

import pytest
from playwright.sync_api import expect

from appeals.models import AppealStatus, Message, MessageKind
from appeals.services import state_token
from tests.appeals import factories as f
from tests.e2e.conftest import DESKTOP, screenshot
from tests.e2e.test_desk import open_case, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = AppealStatus

# What each role is offered on a case in review (accounts/roles.py, appeals/roles.py), and an
# action its role does not have, to post anyway.
MATRIX = {
    "agent": ({"message", "request_info", "ready"}, "decide"),
    "reviewer": ({"message", "request_info", "decide", "extend"}, "reassign"),
    "supervisor": ({"message", "request_info", "decide", "extend", "reassign"}, None),
    "auditor": (set(), "message"),
}
FORBIDDEN_FIELDS = {
    "decide": {"outcome": "approve", "comment": "批准"},
    "reassign": {"comment": "平衡工作量"},
    "message": {"kind": "public", "comment": "审计员不应发出这条消息"},
}
MAKE = {"agent": f.agent, "reviewer": f.reviewer, "supervisor": f.supervisor, "auditor": f.auditor}


def _shown_actions(page) -> set[str]:
    classes = page.locator(".desk-side .desk-action").evaluate_all(
        "els => els.map(e => [...e.classList].find(c => c.startsWith('desk-action-')))"
    )
    return {c.removeprefix("desk-action-") for c in classes}


def _post_anyway(page, appeal, action):
    """The forbidden form posted from this browser's session, with its CSRF token and the
    page's state token, as a crafted request would be."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    fields = {f"{action}-{k}": v for k, v in FORBIDDEN_FIELDS[action].items()}
    fields[f"{action}-seen"] = page.locator("[data-desk-presence]").get_attribute("data-seen")
    if action == "reassign":
        fields["reassign-assignee"] = str(f.agent().pk)
    return page.request.post(
        f"/admin/appeals/appeal/{appeal.pk}/act/{action}/",
        form=fields,
        headers={"X-CSRFToken": token, "Referer": page.url},
    )


def _counting(page):
    loads = []
    page.on("load", lambda _page: loads.append(page.url))
    return loads


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_each_role_sees_its_actions_is_refused_the_others_and_works_the_typical_case(
    new_page, role
):
    user = MAKE[role](full_name=f"Desk {role.title()}")
    appeal = f.in_review_appeal(worker=user if role != "auditor" else None)
    from appeals import services

    services.appeal_borrower_message(
        appeal=appeal, actor=appeal.borrower, body="已上传结清证明，请查收。"
    )
    page = new_page(viewport=DESKTOP, language="en")
    sign_in(page, user)  # lands on the queue
    expect(page.locator("#result_list")).to_contain_text(appeal.reference)
    expect(
        page.locator("#result_list tr", has_text=appeal.reference).locator(".desk-flag-replied")
    ).to_be_visible()
    open_case(page, appeal)
    offered, forbidden = MATRIX[role]
    assert _shown_actions(page) == offered
    screenshot(page, f"desk-role-{role}-1280-en")

    if forbidden:
        before = (S(appeal.status), Message.objects.filter(appeal=appeal).count())
        response = _post_anyway(page, appeal, forbidden)
        assert response.status == 403, (role, forbidden, response.status)
        text = response.text()
        assert "CSRF" not in text and "errornote" in text and "role" in text.lower()
        appeal.refresh_from_db()
        assert (appeal.status, Message.objects.filter(appeal=appeal).count()) == before

    # The typical case, counted from the open case.
    loads, clicks = _counting(page), 0
    expect(page.locator(".desk-msg-borrower")).to_contain_text("已上传结清证明")  # read: no click
    if role == "auditor":
        expect(page.locator(".desk-side")).to_contain_text("There is nothing your role can do")
        assert (clicks, len(loads)) == (0, 0)
        return
    composer = page.locator("form[data-desk-composer]")
    composer.locator("textarea").fill("您好，我们已收到您的结清证明，正在核实。")
    composer.locator(".desk-send-public").click()
    clicks += 1
    expect(page.locator(".messagelist")).to_contain_text("Message saved")
    if "decide" in offered:
        panel = page.locator(".desk-action-decide")
        panel.locator("input[value='approve']").check()
        clicks += 1
        panel.locator("[name='decide-comment']").fill("结清证明核实无误，额度已恢复。")
        panel.locator("button[type=submit]").click()
        clicks += 1
        expect(page.locator(".desk-title")).to_contain_text("Approved")
        expected_state = S.APPROVED
    else:  # the agent hands over to a reviewer instead
        panel = page.locator(".desk-action-ready")
        panel.locator("[name='ready-comment']").fill("结清证明核实无误，建议恢复。")
        panel.locator("button[type=submit]").click()
        clicks += 1
        expect(page.locator(".messagelist")).to_contain_text("ready for decision")
        expected_state = S.IN_REVIEW
    assert clicks <= 3 and len(loads) <= 2, (role, clicks, loads)
    appeal.refresh_from_db()
    assert appeal.status == expected_state
    reply = Message.objects.get(appeal=appeal, body__startswith="您好，我们已收到")
    assert reply.kind == MessageKind.STAFF_PUBLIC
    assert state_token(appeal)  # the case still opens
