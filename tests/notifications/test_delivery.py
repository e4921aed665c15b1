"""Delivery: at most once per row, retries with backoff, failures kept, staff resend."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import sms
from notifications.models import AttemptOutcome, Notification, Status
from notifications.registry import Channel
from notifications.services import (
    notification_cancel,
    notification_deliver,
    notification_resend,
    notify,
    outbox_relay,
)
from notifications.tasks import deliver, deliver_due, relay_pending
from tests.notifications.factories import sample_context

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


class FlakySms(sms.BaseSmsBackend):
    """Fails with the queued errors first, then sends."""

    errors: list[Exception] = []

    def send(self, *, to, body, reference):
        if FlakySms.errors:
            raise FlakySms.errors.pop(0)
        return sms.LocMemSmsBackend().send(to=to, body=body, reference=reference)


@pytest.fixture
def flaky_sms(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "tests.notifications.test_delivery.FlakySms"
    FlakySms.errors = []
    return FlakySms.errors


def _sms_row(borrower) -> Notification:
    event = "credit.closed"
    notify(recipient=borrower, event=event, context=sample_context(event), obj=borrower)
    return Notification.objects.get(channel=Channel.SMS)


def test_a_task_run_twice_sends_once(borrower, sent_sms):
    row = _sms_row(borrower)
    assert deliver.delay(row.pk).get() == "sent"
    assert deliver.delay(row.pk).get() == "skipped"
    assert len(sent_sms) == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.delivery_attempts.count() == 1


def test_a_transient_sms_error_is_retried_with_backoff_then_sent(
    borrower, flaky_sms, sent_sms, time_machine
):
    flaky_sms.append(sms.TransientDeliveryError("Twilio 503"))
    row = _sms_row(borrower)
    assert notification_deliver(notification_id=row.pk).outcome == "retry"
    row.refresh_from_db()
    assert row.status == Status.PENDING and row.last_error == "Twilio 503"
    wait = (row.send_after - timezone.now()).total_seconds()
    assert 15 <= wait <= 30  # base 30 s, half fixed, half jitter
    # too early: nothing happens
    assert notification_deliver(notification_id=row.pk).outcome == "skipped"
    time_machine.shift(timedelta(seconds=31))
    assert notification_deliver(notification_id=row.pk).outcome == "sent"
    row.refresh_from_db()
    assert row.status == Status.SENT and row.last_error == ""
    outcomes = list(row.delivery_attempts.values_list("outcome", flat=True))
    assert outcomes == [AttemptOutcome.TRANSIENT_ERROR, AttemptOutcome.SENT]
    assert len(sent_sms) == 1


def test_throttling_waits_at_least_as_long_as_the_provider_asks(borrower, flaky_sms):
    flaky_sms.append(sms.TransientDeliveryError("throttled", retry_after=600))
    row = _sms_row(borrower)
    result = notification_deliver(notification_id=row.pk)
    assert result.outcome == "retry" and result.retry_in >= 600


def test_after_the_last_try_the_row_is_failed_with_its_error(
    borrower, flaky_sms, settings, time_machine
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    flaky_sms.extend(sms.TransientDeliveryError(f"timeout {i}") for i in range(3))
    row = _sms_row(borrower)
    for _ in range(3):
        notification_deliver(notification_id=row.pk)
        time_machine.shift(timedelta(hours=2))
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.last_error == "timeout 2"
    assert row.delivery_attempts.count() == 3


def test_a_permanent_error_fails_at_once_and_staff_can_resend(
    borrower, flaky_sms, sent_sms, staff_user, django_capture_on_commit_callbacks
):
    flaky_sms.append(sms.PermanentDeliveryError("Twilio 400 code=21211: invalid 'To'"))
    row = _sms_row(borrower)
    assert notification_deliver(notification_id=row.pk).outcome == "failed"
    row.refresh_from_db()
    assert row.status == Status.FAILED and "21211" in row.last_error
    with django_capture_on_commit_callbacks(execute=True):
        notification_resend(notification=row, actor=staff_user)
    row.refresh_from_db()
    assert row.status == Status.SENT and len(sent_sms) == 1
    assert row.delivery_attempts.count() == 2  # the history keeps the failed try


def test_a_sent_row_is_never_resent_and_only_pending_rows_cancel(borrower, staff_user):
    row = _sms_row(borrower)
    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    with pytest.raises(ValueError, match="Only failed"):
        notification_resend(notification=row, actor=staff_user)
    with pytest.raises(ValueError, match="Only pending"):
        notification_cancel(notification=row, actor=staff_user)


def test_a_cancelled_row_is_not_sent(borrower, staff_user, sent_sms):
    row = _sms_row(borrower)
    notification_cancel(notification=row, actor=staff_user)
    assert notification_deliver(notification_id=row.pk).outcome == "skipped"
    assert sent_sms == []


def test_the_relay_requeues_rows_whose_task_was_lost(
    borrower, sent_sms, settings, time_machine, django_capture_on_commit_callbacks
):
    # notify() commits but the broker was down: nothing ran (callbacks not executed)
    row = _sms_row(borrower)
    email = Notification.objects.get(channel=Channel.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_relay().queued == 0  # queued just now: give the task its chance
    time_machine.shift(timedelta(seconds=settings.NOTIFICATIONS_RELAY_AFTER_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert relay_pending() == 2
    row.refresh_from_db()
    email.refresh_from_db()
    assert row.status == Status.SENT and email.status == Status.SENT
    assert len(sent_sms) == 1 and len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_relay().queued == 0


def test_a_row_stuck_sending_is_failed_not_resent(borrower, settings, time_machine, sent_sms):
    row = _sms_row(borrower)
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENDING, sending_since=timezone.now()
    )
    time_machine.shift(timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS + 1))
    assert outbox_relay().abandoned == 1
    row.refresh_from_db()
    assert row.status == Status.FAILED and "may or may not" in row.last_error
    assert sent_sms == []


def test_an_unexpected_error_is_kept_and_retried(borrower, flaky_sms):
    flaky_sms.append(RuntimeError("boom"))
    row = _sms_row(borrower)
    assert notification_deliver(notification_id=row.pk).outcome == "retry"
    row.refresh_from_db()
    assert row.last_error == "RuntimeError: boom"


def test_a_broker_outage_at_commit_does_not_break_the_caller(
    borrower, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(deliver_due, "apply_async", broker_down)
    event = "credit.closed"
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=borrower, event=event, context=sample_context(event), obj=borrower)
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending", "sent"}
