"""Waiting for the borrower has a deadline: a reminder before it; at it the review goes on
with what we have, the borrower is told, and the appeal no longer waits (nor holds) forever."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from appeals import services
from appeals.models import AppealStatus
from notifications.models import Notification
from tests.appeals import factories as f

pytestmark = pytest.mark.django_db


def _notices(appeal, stage):
    return Notification.objects.filter(
        recipient=appeal.borrower,
        event="appeal.reply_deadline",
        channel="inbox",
        context__stage=stage,
    )


def test_a_reminder_comes_before_the_deadline_once(settings):
    settings.APPEAL_REPLY_REMINDER_DAYS = 2
    appeal = f.awaiting_appeal()
    due = appeal.borrower_reply_due
    with time_machine.travel(due - timedelta(days=3), tick=False):
        assert services.appeals_remind_and_expire_replies() == (0, 0)
    assert not _notices(appeal, "reminder").exists()
    with time_machine.travel(due - timedelta(days=1), tick=False):
        assert services.appeals_remind_and_expire_replies() == (1, 0)
        services.appeals_remind_and_expire_replies()  # a second run sends nothing new
    assert _notices(appeal, "reminder").count() == 1
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.AWAITING_BORROWER


def test_at_the_deadline_the_review_goes_on_with_what_we_have():
    appeal = f.awaiting_appeal()
    due = appeal.borrower_reply_due
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert services.appeals_remind_and_expire_replies() == (0, 1)
        assert services.appeals_remind_and_expire_replies() == (0, 0)
        now = timezone.now()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.IN_REVIEW
    assert appeal.borrower_reply_due is None
    assert appeal.resolution_due > now  # the clock runs again, from the deadline
    log = appeal.transitions.last()
    assert (log.from_status, log.to_status, log.actor) == ("awaiting_borrower", "in_review", None)
    told = _notices(appeal, "expired").get()
    assert told.context["reply_due"] == due.isoformat()
    # Decided on what we have: a reviewer can now decide it.
    services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="材料不足以改变决定。")


def test_a_reply_before_the_deadline_stops_the_expiry():
    appeal = f.awaiting_appeal()
    services.appeal_borrower_message(appeal=appeal, actor=appeal.borrower, body="已上传结清证明。")
    with time_machine.travel(appeal.borrower_reply_due + timedelta(days=1), tick=False):
        assert services.appeals_remind_and_expire_replies() == (0, 0)
    assert not _notices(appeal, "expired").exists()
