"""The desk's case page: what it shows, its buttons, stale pages, evidence previews, and
the role matrix over every button."""

import pytest
from django.urls import reverse

from appeals import services
from appeals.models import (
    AppealAssignment,
    AppealExtension,
    AppealStatus,
    AppealTransition,
    Message,
    MessageKind,
)
from appeals.services import state_token
from tests.appeals import factories as f
from tests.appeals.files import pdf as pdf_upload
from tests.appeals.files import png as png_upload

pytestmark = pytest.mark.django_db
S = AppealStatus
CHANGELIST = "admin:appeals_appeal_changelist"


def case_url(appeal):
    return reverse("admin:appeals_appeal_change", args=[appeal.pk])


def act(client, appeal, action, *, seen=None, **fields):
    appeal.refresh_from_db()
    data = {f"{action}-seen": seen or state_token(appeal)}
    data.update({f"{action}-{key}": value for key, value in fields.items()})
    return client.post(reverse("admin:appeals_appeal_act", args=[appeal.pk, action]), data)


def signed_in(client, user, language="en"):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    return client


def page_text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- the case page --------------------------------------------------------------------------


def test_the_case_page_shows_summary_decision_reasons_evidence_and_a_distinct_thread(client):
    worker = f.agent()
    appeal = f.draft_appeal()
    services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf_upload("bank.pdf"))
    services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=png_upload("slip.png"))
    appeal = services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    services.appeal_start_review(appeal=appeal, actor=worker)
    services.appeal_staff_message(appeal=appeal, actor=worker, body="看起来合理", internal=True)
    services.appeal_staff_message(appeal=appeal, actor=worker, body="我们正在核实", internal=False)
    body = page_text(signed_in(client, worker).get(case_url(appeal)))
    assert appeal.borrower.full_name in body
    assert appeal.borrower.customer_id in body
    assert "¥20,000.00" in body
    assert "desk-reasons" in body
    assert "bank.pdf" in body and "slip.png" in body
    assert "<iframe" in body and "<img" in body  # previewed inline
    assert reverse("appeals:evidence", args=[appeal.pk, appeal.evidence.first().pk]) in body
    assert "desk-msg-internal" in body and "Internal note — staff only" in body
    assert "desk-msg-staff_public" in body
    assert "<script>" not in body and "style=" not in body  # CSP-clean


def test_evidence_preview_is_inline_for_staff_who_may_view_it_only(client, borrower):
    appeal = f.draft_appeal()
    item = services.evidence_add(
        appeal=appeal, actor=appeal.borrower, upload=pdf_upload("bank.pdf")
    )
    url = reverse("admin:appeals_appeal_evidence_preview", args=[appeal.pk, item.pk])
    response = signed_in(client, f.agent()).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # finding 11 of issue 15: "frame-ancestors 'none' 'self'" is malformed; 'self' alone
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["frame-ancestors"] == "'self'"
    client.logout()
    # The borrower is not staff: the admin sends them to its login page.
    response = signed_in(client, appeal.borrower).get(url)
    assert response.status_code == 302
    wrong_appeal = reverse("admin:appeals_appeal_evidence_preview", args=[appeal.pk + 99, item.pk])
    assert signed_in(client, f.auditor()).get(wrong_appeal).status_code == 404


def test_canned_responses_fill_the_reply_in_the_borrowers_language(client):
    worker = f.agent()
    reply = services.canned_response_upsert(
        title="Ask for settlement proof",
        body_zh="请上传其他平台的结清证明。",
        body_en="Please upload proof that your other loans are settled.",
    )
    appeal = f.in_review_appeal(worker=worker)
    client = signed_in(client, worker)
    body = page_text(client.get(case_url(appeal)))
    assert "Ask for settlement proof" in body
    assert 'data-body-en="Please upload proof' in body
    body = page_text(client.get(case_url(appeal), {"canned": reply.pk}))
    assert "请上传其他平台的结清证明。</textarea>" in body  # zh-hans borrower
    appeal.borrower.preferred_language = "en"
    appeal.borrower.save(update_fields=["preferred_language"])
    body = page_text(client.get(case_url(appeal), {"canned": reply.pk}))
    assert "Please upload proof that your other loans are settled.</textarea>" in body


def test_canned_responses_need_both_languages():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.canned_response_upsert(title="Half", body_zh="只有中文", body_en=" ")
    from appeals.models import CannedResponse

    assert not CannedResponse.objects.exists()


def test_canned_responses_are_edited_in_the_admin_by_supervisors_only(client):
    data = {"title": "Thanks", "body_zh": "谢谢您的耐心。", "body_en": "Thank you.", "active": "on"}
    url = reverse("admin:appeals_cannedresponse_add")
    assert signed_in(client, f.agent()).post(url, data).status_code == 403
    response = signed_in(client, f.supervisor()).post(url, data)
    assert response.status_code == 302
    from appeals.models import CannedResponse

    assert CannedResponse.objects.get().body_en == "Thank you."


# --- the role matrix over every button ------------------------------------------------------


def _submitted(**_):
    return f.submitted_appeal()


def _in_review(**_):
    return f.in_review_appeal()


def _second_review(**_):
    appeal = f.denied_appeal()
    return services.appeal_request_second_review(
        appeal=appeal, actor=appeal.borrower, statement="请再看一次"
    )


WORKERS = {"agent", "reviewer", "supervisor"}
BUTTONS = {
    # action: (make the appeal, form fields, roles allowed, what changes)
    "start_review": (_submitted, {"comment": "先看还款记录"}, WORKERS),
    "request_info": (_in_review, {"comment": "请上传结清证明"}, WORKERS),
    "message": (
        _in_review,
        {"kind": "public", "comment": "我们正在处理"},
        {"agent", "reviewer", "supervisor"},
    ),
    "decide": (
        _in_review,
        {"outcome": "approve", "comment": "还款记录良好"},
        {"reviewer", "supervisor"},
    ),
    "second_review": (
        _second_review,
        {"outcome": "approve", "comment": "复核通过"},
        {"supervisor"},
    ),
    "extend": (_in_review, {"comment": "需要核实征信报告"}, {"reviewer", "supervisor"}),
    "reassign": (_in_review, {"comment": "平衡工作量"}, {"supervisor"}),
}
ROLES = {"agent": f.agent, "reviewer": f.reviewer, "supervisor": f.supervisor, "auditor": f.auditor}


def _fingerprint(appeal):
    appeal.refresh_from_db()
    return (
        appeal.status,
        appeal.assignee_id,
        appeal.resolution_due,
        AppealTransition.objects.filter(appeal=appeal).count(),
        Message.objects.filter(appeal=appeal).count(),
        AppealAssignment.objects.filter(appeal=appeal).count(),
        AppealExtension.objects.filter(appeal=appeal).count(),
    )


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("action", sorted(BUTTONS))
def test_role_matrix_every_button(client, action, role):
    make, fields, allowed = BUTTONS[action]
    appeal = make()
    user = ROLES[role]()
    fields = dict(fields)
    if action == "reassign":
        fields["assignee"] = f.agent().pk
    client = signed_in(client, user)
    page = page_text(client.get(case_url(appeal)))
    shown = f'/act/{action}/"' in page
    before = _fingerprint(appeal)
    response = act(client, appeal, action, **fields)
    after = _fingerprint(appeal)
    if role in allowed:
        assert response.status_code == 302
        assert shown, f"{role} should see {action}"
        assert after != before, f"{role} could not {action}: {messages_of(response)}"
    else:
        # Refused on the page itself (issue 11: the reason shown, the typed text kept).
        assert response.status_code == 403
        assert not shown, f"{role} should not see {action}"
        assert after == before, f"{role} changed the appeal with {action}"
        assert "role" in page_text(response).lower()


def test_the_auditor_sees_everything_and_gets_no_buttons_nor_actions(client):
    appeal = f.awaiting_appeal()
    services.appeal_staff_message(appeal=appeal, actor=f.agent(), body="内部", internal=True)
    client = signed_in(client, f.auditor())
    body = page_text(client.get(case_url(appeal)))
    assert "Read only" in body and "/act/" not in body
    assert "内部" in body  # internal notes are for staff, auditors included
    changelist = page_text(client.get(reverse(CHANGELIST), {"queue": "all"}))
    assert appeal.reference in changelist
    assert "reassign_selected" not in changelist


def test_the_decision_form_needs_a_limit_for_a_partial_approval_and_a_reason(client):
    appeal = f.in_review_appeal()
    client = signed_in(client, f.reviewer())
    before = _fingerprint(appeal)
    response = act(client, appeal, "decide", outcome="partially_approve", comment="部分恢复")
    assert response.status_code == 400
    assert "A partial approval needs the new credit limit." in page_text(response)
    response = act(client, appeal, "decide", outcome="deny", comment="")
    assert response.status_code == 400
    assert _fingerprint(appeal) == before
    response = act(
        client, appeal, "decide", outcome="partially_approve", comment="部分恢复", new_limit="8000"
    )
    appeal.refresh_from_db()
    assert appeal.status == S.PARTIALLY_APPROVED
    assert str(appeal.granted_limit) == "8000.00"
    assert appeal.outcome_explanation == "部分恢复"


def test_a_refused_service_says_why_and_changes_nothing(client):
    # Limit above the old limit: the service refuses; the message comes back in words.
    appeal = f.in_review_appeal()
    client = signed_in(client, f.reviewer())
    before = _fingerprint(appeal)
    response = act(
        client, appeal, "decide", outcome="partially_approve", comment="x", new_limit="999999"
    )
    # Issue 11: the refusal is shown on the same form, what was typed kept.
    assert response.status_code == 400
    page = page_text(response)
    assert "below the limit before" in page
    assert 'value="999999"' in page
    assert _fingerprint(appeal) == before


def test_a_stale_page_is_refused_with_the_current_state(client):
    appeal = f.in_review_appeal()
    reviewer = f.reviewer(full_name="Reviewer Wu")
    seen = state_token(appeal)
    services.appeal_deny(appeal=appeal, actor=reviewer, explanation="理由仍然成立")
    client = signed_in(client, f.supervisor())
    before = _fingerprint(appeal)
    response = act(client, appeal, "decide", seen=seen, outcome="approve", comment="恢复")
    assert _fingerprint(appeal) == before
    assert response.status_code == 409
    text = page_text(response)
    assert "Someone else already changed this appeal" in text
    assert "Not approved" in text and "Reviewer Wu" in text
    # Issue 11: the decide button is gone, but what was typed is shown, not lost.
    assert "恢复" in text and 'id="unsent-text"' in text


def test_supervisors_bulk_reassign_and_it_is_logged(client):
    first = f.agent()
    appeals = [f.in_review_appeal(worker=first) for _ in range(3)]
    second = f.agent(full_name="Agent Two")
    supervisor = f.supervisor()
    client = signed_in(client, supervisor)
    data = {
        "action": "reassign_selected",
        "_selected_action": [a.pk for a in appeals],
    }
    page = client.post(reverse(CHANGELIST), data)
    assert "Reassign appeals" in page_text(page)
    response = client.post(
        reverse(CHANGELIST), {**data, "apply": "1", "assignee": second.pk, "reason": "休假"}
    )
    assert response.status_code == 302
    for appeal in appeals:
        appeal.refresh_from_db()
        assert appeal.assignee == second
        log = AppealAssignment.objects.filter(appeal=appeal).latest("at")
        assert (log.from_assignee, log.to_assignee, log.actor, log.reason) == (
            first,
            second,
            supervisor,
            "休假",
        )


def test_agents_do_not_get_the_bulk_reassign_action(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    client = signed_in(client, worker)
    assert "reassign_selected" not in page_text(client.get(reverse(CHANGELIST)))
    client.post(
        reverse(CHANGELIST),
        {
            "action": "reassign_selected",
            "_selected_action": [appeal.pk],
            "apply": "1",
            "assignee": worker.pk,
            "reason": "x",
        },
    )
    assert not AppealAssignment.objects.filter(appeal=appeal, actor=worker).exists()


def test_start_review_records_the_comment_as_an_internal_note(client):
    appeal = f.submitted_appeal()
    worker = f.agent()
    act(signed_in(client, worker), appeal, "start_review", comment="先核对还款记录")
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW
    note = Message.objects.get(appeal=appeal)
    assert (note.kind, note.body) == (MessageKind.INTERNAL, "先核对还款记录")


def test_supervisors_mark_agents_away_in_the_admin_and_agents_cannot(client):
    from appeals.models import AgentAvailability

    away = f.agent()
    url = reverse("admin:appeals_agentavailability_add")
    data = {"agent": away.pk, "away": "on", "note": "年假"}
    assert signed_in(client, f.agent()).post(url, data).status_code == 403
    assert not AgentAvailability.objects.exists()
    assert signed_in(client, f.supervisor()).post(url, data).status_code == 302
    assert AgentAvailability.objects.get(agent=away).away is True
    back = client.post(
        reverse("admin:appeals_agentavailability_changelist"),
        {"action": "mark_back", "_selected_action": [away.desk_availability.pk]},
    )
    assert back.status_code == 302
    assert AgentAvailability.objects.get(agent=away).away is False
    assert f.submitted_appeal().assignee == away


def test_the_case_page_queries_do_not_grow_with_the_thread(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    client = signed_in(client, worker)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(case_url(appeal)).status_code == 200
        return len(captured.captured_queries)

    services.appeal_staff_message(appeal=appeal, actor=worker, body="一", internal=True)
    few = queries()
    for n in range(6):
        services.appeal_staff_message(appeal=appeal, actor=worker, body=f"{n}", internal=n % 2)
        services.appeal_borrower_message(appeal=appeal, actor=appeal.borrower, body=f"b{n}")
    assert queries() == few
    assert few <= 25


def test_the_extend_button_follows_the_extension_steps(client):
    appeal = f.in_review_appeal()
    reviewer, supervisor = f.reviewer(), f.supervisor()
    assert "/act/extend/" in page_text(signed_in(client, reviewer).get(case_url(appeal)))
    services.appeal_extend(appeal=appeal, actor=reviewer, reason="复杂案件")
    # The further 30 days need a supervisor: the reviewer no longer sees the button.
    assert "/act/extend/" not in page_text(client.get(case_url(appeal)))
    assert "/act/extend/" in page_text(signed_in(client, supervisor).get(case_url(appeal)))
    services.appeal_extend(appeal=appeal, actor=supervisor, reason="主管批准")
    assert "/act/extend/" not in page_text(client.get(case_url(appeal)))
