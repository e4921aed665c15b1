"""Quiet hours end to end: at night a legal notice is in the inbox and the mailbox at once,
and on the phone the next morning in the borrower's own time zone."""

from datetime import datetime, timedelta

import pytest
from django.core import mail

from notifications.models import Notification, Status
from notifications.services import notify, outbox_relay
from tests.notifications.factories import sample_context

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("zone", "night", "morning"),
    [
        ("Asia/Shanghai", "2026-11-28T22:30:00+08:00", "2026-11-29T08:00:00+08:00"),
        # New York falls back on 1 Nov 2026: the morning is 08:00 EST
        ("America/New_York", "2026-10-31T23:30:00-04:00", "2026-11-01T08:00:00-05:00"),
    ],
)
def test_legal_notice_at_night(
    borrower, sent_sms, time_machine, django_capture_on_commit_callbacks, zone, night, morning
):
    borrower.time_zone = zone
    borrower.save()
    time_machine.move_to(night, tick=False)
    event = "credit.closure_scheduled"
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=borrower, event=event, context=sample_context(event), obj=borrower)
    assert len(mail.outbox) == 1 and sent_sms == []
    sms_row = Notification.objects.get(channel="sms")
    assert sms_row.status == Status.PENDING
    assert sms_row.send_after == datetime.fromisoformat(morning)

    time_machine.move_to(datetime.fromisoformat(morning) - timedelta(minutes=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_relay().queued == 0  # still quiet
    time_machine.move_to(morning, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_relay().queued == 1
    assert len(sent_sms) == 1
    sms_row.refresh_from_db()
    assert sms_row.status == Status.SENT
