"""An appeal made moot: the line is restored by a re-evaluation while the appeal is worked.
It ends as resolved, the borrower is told once (by the appeal), and nobody can deny it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from appeals import services
from appeals.models import AppealStatus
from credit import services as credit_services
from credit.models import CreditLineStatus
from notifications.models import Notification
from tests.appeals import factories as f
from tests.credit.factories import at, close_external_loans
from tests.support import plain

pytestmark = pytest.mark.django_db


def _restore_by_events(line):
    close_external_loans(line, when=at(timezone.localdate() - timedelta(days=1)))
    credit_services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE


@pytest.mark.parametrize("state", ["submitted", "in_review", "awaiting_borrower"])
def test_a_restored_line_resolves_the_appeal_being_worked(state):
    make = {
        "submitted": f.submitted_appeal,
        "in_review": f.in_review_appeal,
        "awaiting_borrower": f.awaiting_appeal,
    }[state]
    appeal = make()
    _restore_by_events(appeal.line)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.RESOLVED
    assert appeal.credit_decision.outcome == "reinstate"
    assert appeal.closed_at is not None and appeal.borrower_reply_due is None
    log = appeal.transitions.last()
    assert (log.from_status, log.to_status, log.actor) == (state, "resolved", None)


def test_the_borrower_is_told_once_by_the_appeal_not_told_it_was_not_approved():
    appeal = f.in_review_appeal()
    before = set(Notification.objects.values_list("pk", flat=True))
    _restore_by_events(appeal.line)
    new = Notification.objects.exclude(pk__in=before).filter(channel="inbox")
    assert [(n.event, n.context.get("outcome")) for n in new] == [("appeal.decided", "resolved")]
    inbox = new.get()
    assert "restored" in str(inbox.context["explanation"])


def test_no_one_can_deny_or_approve_a_resolved_appeal():
    appeal = f.in_review_appeal()
    _restore_by_events(appeal.line)
    with pytest.raises(ValidationError):
        services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="仍有多头借贷。")
    with pytest.raises(ValidationError):
        services.appeal_approve(appeal=appeal, actor=f.reviewer(), explanation="ok")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.RESOLVED
    assert not Notification.objects.filter(
        event="appeal.decided", context__outcome="denied"
    ).exists()


def test_a_draft_or_a_decided_appeal_is_left_as_it_is():
    draft = f.draft_appeal()
    _restore_by_events(draft.line)
    draft.refresh_from_db()
    assert draft.status == AppealStatus.DRAFT
    denied = f.denied_appeal()
    _restore_by_events(denied.line)
    denied.refresh_from_db()
    assert denied.status == AppealStatus.DENIED


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Your credit line was restored, so your appeal is closed"), ("zh-hans", "申诉已结束")],
)
def test_the_appeal_page_says_it_was_resolved(client, language, words):
    appeal = f.in_review_appeal()
    _restore_by_events(appeal.line)
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = language
    body = plain(client.get(reverse("appeals:detail", args=[appeal.pk])))
    assert words in body
    assert ("Not approved" if language == "en" else "申诉未通过") not in body
