"""A second review has its own clock (a due date, escalated when missed) and can always be
decided: when the first decider is the only supervisor, a reviewer who did not decide it does,
and the borrower is told who reviews it."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from appeals import services
from appeals.models import AppealStatus, SlaBreach
from appeals.services import AppealPermissionDenied
from notifications.models import Notification
from tests.appeals import factories as f
from tests.support import plain

pytestmark = pytest.mark.django_db


def _in_second_review(decider):
    appeal = f.denied_appeal(decider=decider)
    return services.appeal_request_second_review(appeal=appeal, actor=appeal.borrower)


def test_a_second_review_has_a_due_date_and_a_missed_one_is_escalated(settings):
    settings.APPEAL_SECOND_REVIEW_DECISION_DAYS = 15
    first, other = f.supervisor(), f.supervisor()
    appeal = _in_second_review(first)
    due = appeal.second_review_due
    assert due == appeal.second_review_requested_at + timedelta(days=15)
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert services.appeals_escalate_breaches() == 0
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert services.appeals_escalate_breaches() == 1
        assert services.appeals_escalate_breaches() == 0  # once
    breach = SlaBreach.objects.get(appeal=appeal)
    assert (breach.clock, breach.due) == ("second_review", due)
    told = Notification.objects.filter(event="staff.sla_breached", recipient__in=[first, other])
    assert told.count() >= 2


def test_when_the_first_decider_is_the_only_supervisor_a_reviewer_decides(client):
    only = f.supervisor()
    appeal = _in_second_review(only)
    with pytest.raises(AppealPermissionDenied):
        services.appeal_decide_second_review(
            appeal=appeal, actor=only, approve=False, explanation="同一人"
        )
    reviewer = f.reviewer()
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = "en"
    page = plain(client.get(reverse("appeals:detail", args=[appeal.pk])))
    assert "A reviewer who did not take the first decision is reviewing your appeal again" in page
    assert "Second review decision expected by" in page
    decided = services.appeal_decide_second_review(
        appeal=appeal, actor=reviewer, approve=True, explanation="复核通过"
    )
    assert decided.status == AppealStatus.APPROVED
    assert decided.second_decided_by == reviewer


def test_a_reviewer_may_not_when_another_supervisor_can():
    first = f.supervisor()
    f.supervisor()  # another supervisor exists: the second review is theirs
    appeal = _in_second_review(first)
    with pytest.raises(AppealPermissionDenied):
        services.appeal_decide_second_review(
            appeal=appeal, actor=f.reviewer(), approve=True, explanation="越权"
        )
