"""Issue 11: a borrower's reply is seen (notice, marker, filter, moves up), the queue sorts
by urgency with distinct state labels, the hand-off to a reviewer, starting a review without
a note, and the composer keeping its mode."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appeals import services
from appeals.models import Appeal, AppealAssignment, AppealStatus, Message, MessageKind
from notifications.models import Notification
from tests.appeals import factories as f
from tests.appeals.desk.test_case import act, case_url, page_text, signed_in
from tests.appeals.files import pdf as pdf_upload

pytestmark = pytest.mark.django_db
S = AppealStatus
CHANGELIST = "admin:appeals_appeal_changelist"


def replied_notices(recipient):
    return Notification.objects.filter(event="staff.borrower_replied", recipient=recipient)


def _order(body: str, *appeals) -> list:
    return sorted(appeals, key=lambda a: body.index(a.reference))


def test_a_borrower_answer_tells_the_assignee_marks_the_case_and_moves_it_up(client):
    worker = f.agent(full_name="Agent Lin")
    quiet = f.in_review_appeal(worker=worker)
    Appeal.objects.filter(pk=quiet.pk).update(resolution_due=timezone.now() + timedelta(days=2))
    answered = f.awaiting_appeal(worker=worker)
    Appeal.objects.filter(pk=answered.pk).update(resolution_due=timezone.now() + timedelta(days=9))
    assert not replied_notices(worker).exists()

    services.appeal_borrower_message(
        appeal=answered, actor=answered.borrower, body="结清证明已上传"
    )

    answered.refresh_from_db()
    assert answered.status == S.IN_REVIEW and answered.borrower_replied_at is not None
    channels = set(replied_notices(worker).values_list("channel", flat=True))
    assert channels == {"email", "inbox"}
    inbox = replied_notices(worker).get(channel="inbox")
    assert answered.reference in inbox.body_text
    assert inbox.link == case_url(answered)

    client = signed_in(client, worker)
    body = page_text(client.get(reverse(CHANGELIST)))
    # Due later, but the borrower is waiting for an answer: it comes first, with a marker.
    assert _order(body, quiet, answered) == [answered, quiet]
    assert "Borrower replied" in body
    body = page_text(client.get(reverse(CHANGELIST), {"queue": "replied"}))
    assert answered.reference in body and quiet.reference not in body

    # A reply from staff answers it: the marker goes, the order is by due time again.
    act(client, answered, "message", kind="public", comment="我们已收到，正在核实。")
    answered.refresh_from_db()
    assert answered.borrower_replied_at is None
    body = page_text(client.get(reverse(CHANGELIST)))
    assert _order(body, quiet, answered) == [quiet, answered]
    assert answered.reference not in page_text(
        client.get(reverse(CHANGELIST), {"queue": "replied"})
    )


def test_an_internal_note_does_not_count_as_an_answer_and_a_document_counts_as_a_reply():
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf_upload("x.pdf"))
    appeal.refresh_from_db()
    assert appeal.borrower_replied_at is not None
    notice = replied_notices(worker).get(channel="inbox")
    assert notice.context["what"] == "document"
    services.appeal_staff_message(appeal=appeal, actor=worker, body="先核对", internal=True)
    appeal.refresh_from_db()
    assert appeal.borrower_replied_at is not None


def test_a_document_on_a_draft_is_not_a_reply():
    appeal = f.draft_appeal()
    services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf_upload("x.pdf"))
    appeal.refresh_from_db()
    assert appeal.borrower_replied_at is None
    assert not Notification.objects.filter(event="staff.borrower_replied").exists()


def test_breached_clocks_come_first_then_the_nearest_decision(client):
    worker = f.agent()
    now = timezone.now()
    near = f.in_review_appeal(worker=worker)
    far = f.in_review_appeal(worker=worker)
    late_reply = f.in_review_appeal(worker=worker)  # first response overdue, decision far off
    Appeal.objects.filter(pk=near.pk).update(
        resolution_due=now + timedelta(days=1), first_responded_at=now
    )
    Appeal.objects.filter(pk=far.pk).update(
        resolution_due=now + timedelta(days=5), first_responded_at=now
    )
    Appeal.objects.filter(pk=late_reply.pk).update(
        resolution_due=now + timedelta(days=12),
        first_response_due=now - timedelta(hours=3),
        first_responded_at=None,
    )
    body = page_text(signed_in(client, worker).get(reverse(CHANGELIST)))
    assert _order(body, near, far, late_reply) == [late_reply, near, far]


def test_the_state_filter_names_each_state_once(client):
    f.in_review_appeal()
    body = page_text(signed_in(client, f.supervisor()).get(reverse(CHANGELIST)))
    filter_html = body[body.index('id="changelist-filter"') :]
    assert filter_html.count(">Approved</a>") == 1
    assert "Approved automatically" in filter_html


def test_an_agent_hands_over_to_a_reviewer_who_finds_it_in_their_queues(client):
    worker = f.agent(full_name="Agent Lin")
    reviewer = f.reviewer(full_name="Reviewer Wu")
    appeal = f.in_review_appeal(worker=worker)
    other = f.in_review_appeal(worker=worker)

    page = page_text(signed_in(client, worker).get(case_url(appeal)))
    assert "/act/ready/" in page and "/act/decide/" not in page
    response = act(
        client, appeal, "ready", comment="还款记录核实无误，建议恢复。", reviewer=reviewer.pk
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.ready_for_decision_by == worker and appeal.assignee == reviewer
    assert appeal.decision_summary == "还款记录核实无误，建议恢复。"
    log = AppealAssignment.objects.filter(appeal=appeal).latest("at")
    assert (log.from_assignee, log.to_assignee, log.actor) == (worker, reviewer, worker)
    note = Message.objects.filter(appeal=appeal, kind=MessageKind.INTERNAL).latest("created_at")
    assert "还款记录核实无误" in note.body
    assert Notification.objects.filter(event="staff.appeal_assigned", recipient=reviewer).exists()

    client.logout()
    client = signed_in(client, reviewer)
    ready = page_text(client.get(reverse(CHANGELIST), {"queue": "ready"}))
    assert appeal.reference in ready and other.reference not in ready
    mine = page_text(client.get(reverse(CHANGELIST), {"queue": "mine"}))
    assert appeal.reference in mine and other.reference not in mine
    case = page_text(client.get(case_url(appeal)))
    assert "还款记录核实无误" in case and "/act/decide/" in case
    assert "/act/ready/" not in case  # a reviewer decides; no hand-off button


def test_a_hand_off_needs_a_summary_and_a_person_who_may_decide(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    client = signed_in(client, worker)
    response = act(client, appeal, "ready", comment="")
    assert response.status_code == 400
    response = act(client, appeal, "ready", comment="请决定", reviewer=f.agent().pk)
    assert response.status_code == 400  # an agent is not among the reviewers offered
    appeal.refresh_from_db()
    assert appeal.ready_for_decision_at is None and appeal.assignee == worker


def test_starting_a_review_needs_no_note(client):
    appeal = f.submitted_appeal()
    worker = f.agent()
    response = act(signed_in(client, worker), appeal, "start_review", comment="")
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW
    assert not Message.objects.filter(appeal=appeal).exists()


def test_the_composer_keeps_its_mode_and_names_what_it_sends(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    client = signed_in(client, worker)
    page = page_text(client.get(case_url(appeal)))
    assert 'data-mode="public"' in page and "Send reply to borrower" in page
    response = act(client, appeal, "message", kind="internal", comment="内部：先核对")
    assert response.status_code == 302 and response.url.endswith("?compose=internal")
    page = page_text(client.get(response.url))
    assert 'data-mode="internal"' in page
    # Two actions, not a switch: each button says where the text goes.
    buttons = re.findall(r'<button[^>]*name="message-kind"[^>]*value="(\w+)"[^>]*>([^<]+)<', page)
    assert buttons == [("public", "Send reply to borrower"), ("internal", "Save internal note")]
    assert 'type="radio"' not in page.split("data-desk-composer")[1].split("</form>")[0]
    note = Message.objects.get(appeal=appeal, body="内部：先核对")
    assert note.kind == MessageKind.INTERNAL


def test_the_first_decider_never_sees_the_second_review_button(client):
    first, other = f.supervisor(), f.supervisor()
    appeal = f.denied_appeal(decider=first)
    appeal = services.appeal_request_second_review(
        appeal=appeal, actor=appeal.borrower, statement="请复核"
    )
    assert "/act/second_review/" not in page_text(signed_in(client, first).get(case_url(appeal)))
    client.logout()
    assert "/act/second_review/" in page_text(signed_in(client, other).get(case_url(appeal)))
    assert "/act/second_review/" not in page_text(
        signed_in(client, f.reviewer()).get(case_url(appeal))
    )


def test_a_handed_over_case_offers_no_second_hand_off(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    services.appeal_mark_ready_for_decision(appeal=appeal, actor=worker, summary="可以决定")
    assert "/act/ready/" not in page_text(signed_in(client, worker).get(case_url(appeal)))
