"""Delivery in batches: a worker claims many due rows at once, sends them (one email
connection), records the results in bulk; still at most once per row, retries as before."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from notifications import sms
from notifications.models import AttemptOutcome, DeliveryAttempt, Notification, Status
from notifications.registry import Channel
from notifications.services import notifications_deliver_due, notify
from notifications.tasks import deliver_due
from tests.factories import BorrowerFactory
from tests.notifications.factories import sample_context

EVENT = "credit.closed"


class OneBadNumber(sms.BaseSmsBackend):
    """The first SMS is throttled, the second goes to a number that does not exist."""

    calls = 0

    def send(self, *, to, body, reference):
        OneBadNumber.calls += 1
        if OneBadNumber.calls == 1:
            raise sms.TransientDeliveryError("throttled", retry_after=120)
        if OneBadNumber.calls == 2:
            raise sms.PermanentDeliveryError("no such number")
        return sms.LocMemSmsBackend().send(to=to, body=body, reference=reference)


def _pending_rows(monkeypatch, count: int) -> list[int]:
    """`count` borrowers told the same event, nothing delivered yet (the broker is down)."""
    monkeypatch.setattr(deliver_due, "apply_async", lambda *args, **kwargs: None)
    for _ in range(count):
        borrower = BorrowerFactory()
        notify(recipient=borrower, event=EVENT, context=sample_context(EVENT), obj=borrower)
    outbound = Notification.objects.filter(channel__in=[Channel.EMAIL, Channel.SMS])
    assert set(outbound.values_list("status", flat=True)) == {Status.PENDING}
    return list(outbound.values_list("pk", flat=True))


def _references_sent() -> Counter:
    emails = [m.extra_headers["X-Recourse-Notification"] for m in mail.outbox]
    return Counter(emails + [s.reference for s in sms.outbox])


def _assert_each_sent_once(ids: list[int]) -> None:
    assert set(Notification.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.SENT
    }
    sent = _references_sent()
    assert sorted(sent) == sorted(f"notification-{pk}" for pk in ids)
    assert set(sent.values()) == {1}
    attempts = Counter(
        DeliveryAttempt.objects.filter(notification_id__in=ids).values_list(
            "notification_id", "outcome"
        )
    )
    assert attempts == Counter({(pk, AttemptOutcome.SENT): 1 for pk in ids})


@pytest.mark.django_db
@pytest.mark.usefixtures("daytime")
def test_a_batch_sends_every_due_row_once_and_records_each(monkeypatch):
    ids = _pending_rows(monkeypatch, 6)
    claims = [notifications_deliver_due(limit=5).claimed for _ in range(4)]
    assert claims == [5, 5, 2, 0]  # 12 rows (an email and an SMS each); then nothing is due
    _assert_each_sent_once(ids)
    sms_ids = Notification.objects.filter(channel=Channel.SMS).values_list(
        "provider_message_id", flat=True
    )
    assert all(message_id.startswith("locmem-") for message_id in sms_ids)


@pytest.mark.django_db
@pytest.mark.usefixtures("daytime")
def test_in_a_batch_a_transient_error_is_retried_later_and_a_permanent_one_fails(
    monkeypatch, settings
):
    OneBadNumber.calls = 0
    settings.NOTIFICATIONS_SMS_BACKEND = "tests.notifications.test_batch_delivery.OneBadNumber"
    _pending_rows(monkeypatch, 3)
    result = notifications_deliver_due(limit=50)
    assert (result.claimed, result.sent, result.retried, result.failed) == (6, 4, 1, 1)
    assert result.retry_in >= 120
    sms_rows = Notification.objects.filter(channel=Channel.SMS).order_by("send_after", "id")
    statuses = Counter(sms_rows.values_list("status", flat=True))
    assert statuses == Counter({Status.SENT: 1, Status.PENDING: 1, Status.FAILED: 1})
    retried = sms_rows.get(status=Status.PENDING)
    assert retried.attempts == 1 and retried.last_error == "throttled"
    assert retried.send_after >= timezone.now() + timedelta(seconds=120)
    # Not due yet: a batch right now leaves it alone.
    assert notifications_deliver_due(limit=50).claimed == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("daytime")
def test_rows_another_worker_holds_are_skipped_not_waited_for_nor_sent_twice(monkeypatch):
    ids = _pending_rows(monkeypatch, 4)
    held = sorted(ids)[:3]
    holding, release, done = threading.Event(), threading.Event(), threading.Event()

    def other_worker_mid_claim():
        try:
            with transaction.atomic():
                list(Notification.objects.select_for_update().filter(pk__in=held))
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=other_worker_mid_claim)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        result = notifications_deliver_due(limit=50)  # would block here without SKIP LOCKED
        assert result.claimed == len(ids) - len(held)
        sent = Notification.objects.filter(pk__in=ids, status=Status.SENT)
        assert set(sent.values_list("pk", flat=True)) == set(ids) - set(held)
    finally:
        release.set()
        thread.join(timeout=30)
    assert done.is_set()
    assert notifications_deliver_due(limit=50).claimed == len(held)
    _assert_each_sent_once(ids)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("daytime")
def test_two_workers_claiming_at_once_never_send_a_row_twice(monkeypatch):
    ids = _pending_rows(monkeypatch, 40)
    start = threading.Barrier(2)
    claimed: dict[str, int] = Counter()
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait(timeout=30)
            while (result := notifications_deliver_due(limit=7)).claimed:
                claimed[name] += result.claimed
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert claimed["a"] + claimed["b"] == len(ids)
    _assert_each_sent_once(ids)


AWKWARD_ERROR = 'rejected: "to" {+86 138}, code NULL; back\\slash, it\'s 号码无效'


class AwkwardError(sms.BaseSmsBackend):
    """Every SMS is throttled with an error text that means something in an array literal."""

    def send(self, *, to, body, reference):
        raise sms.TransientDeliveryError(AWKWARD_ERROR, retry_after=60)


@pytest.mark.django_db
@pytest.mark.usefixtures("daytime")
def test_a_batch_records_a_providers_error_text_exactly(monkeypatch, settings):
    # The results are written with one array per column: quotes, braces, commas,
    # backslashes and the word NULL in an error reach the row and its attempt unchanged,
    # and the emails sent beside them in the same UPDATE keep no error.
    settings.NOTIFICATIONS_SMS_BACKEND = "tests.notifications.test_batch_delivery.AwkwardError"
    _pending_rows(monkeypatch, 2)
    result = notifications_deliver_due(limit=50)
    assert (result.claimed, result.sent, result.retried) == (4, 2, 2)
    for row in Notification.objects.filter(channel=Channel.SMS):
        assert row.status == Status.PENDING and row.last_error == AWKWARD_ERROR
        attempt = DeliveryAttempt.objects.get(notification=row)
        assert attempt.outcome == AttemptOutcome.TRANSIENT_ERROR and attempt.error == AWKWARD_ERROR
    for row in Notification.objects.filter(channel=Channel.EMAIL):
        assert row.status == Status.SENT and row.last_error == "" and row.sent_at is not None
