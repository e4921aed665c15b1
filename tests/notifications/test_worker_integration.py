"""A real Celery worker on Redis: rows written while the broker is unreachable are
delivered by the relay once it is back — every row exactly once, duplicates included."""

import json
import time
from pathlib import Path

import pytest

from config.celery import app, ping
from notifications.models import AttemptOutcome, DeliveryAttempt, Notification, Status
from notifications.services import notify, outbox_relay
from notifications.tasks import deliver
from tests.factories import BorrowerFactory
from tests.notifications.factories import sample_context

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,  # the worker process must see the test database
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def worker_sms_dir(tmp_path, monkeypatch) -> Path:
    """Make the worker (started after this fixture) write SMS to files we can count."""
    folder = tmp_path / "sms"
    monkeypatch.setenv("NOTIFICATIONS_SMS_BACKEND", "notifications.sms.FileSmsBackend")
    monkeypatch.setenv("NOTIFICATIONS_SMS_FILE_PATH", str(folder))
    monkeypatch.setenv("NOTIFICATIONS_QUIET_HOURS_START", "00:00")
    monkeypatch.setenv("NOTIFICATIONS_QUIET_HOURS_END", "00:00")
    return folder


def _use_broker(url: str) -> None:
    """Point this process's Celery app at another broker, dropping pooled connections."""
    app.conf.broker_url = app.conf.broker_write_url = url
    app._pool = None  # kombu keeps one pool per broker URL; switching back reuses it
    app.amqp._producer_pool = None


def _wait_until_delivered(ids: list[int], timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Notification.objects.filter(pk__in=ids).exclude(status=Status.SENT).exists():
            return
        time.sleep(0.25)  # integration test: waiting for another process
    states = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "status"))
    pytest.fail(f"not delivered in {timeout}s: {states}")


def test_broker_down_at_commit_then_relay_delivers_every_row_once(
    worker_sms_dir, celery_worker_process, redis_url, settings
):
    settings.NOTIFICATIONS_QUIET_HOURS_START = settings.NOTIFICATIONS_QUIET_HOURS_END = "00:00"
    settings.NOTIFICATIONS_RELAY_AFTER_SECONDS = 0
    borrowers = [BorrowerFactory() for _ in range(4)]
    event = "credit.closure_scheduled"

    _use_broker(UNREACHABLE_BROKER)
    try:
        started = time.monotonic()
        for borrower in borrowers:  # each notify commits; publishing fails and is logged
            notify(recipient=borrower, event=event, context=sample_context(event), obj=borrower)
        publish_time = time.monotonic() - started
    finally:
        _use_broker(redis_url)

    outbound = list(
        Notification.objects.filter(channel__in=["email", "sms"]).values_list("pk", flat=True)
    )
    assert len(outbound) == 8
    assert set(Notification.objects.filter(pk__in=outbound).values_list("status", flat=True)) == {
        "pending"
    }
    assert publish_time < 30  # the callers were not hung by the outage

    # The broker is back. The relay queues every row; a second relay (another beat process)
    # and a duplicate task per row race it. Each row must still go out once.
    assert outbox_relay().queued == 8
    outbox_relay()
    for pk in outbound:
        deliver.delay(pk)
    _wait_until_delivered(outbound)
    # The solo worker runs messages in order: once ping answers, every duplicate has run.
    assert ping.delay().get(timeout=30) == "pong"

    for pk in outbound:
        attempts = list(DeliveryAttempt.objects.filter(notification_id=pk))
        assert [a.outcome for a in attempts] == [AttemptOutcome.SENT], pk
    files = sorted(worker_sms_dir.glob("*.json"))
    references = [json.loads(f.read_text())["reference"] for f in files]
    sms_ids = Notification.objects.filter(channel="sms").values_list("pk", flat=True)
    assert sorted(references) == sorted(f"notification-{pk}" for pk in sms_ids)

    # Nothing left for a later relay to do.
    assert outbox_relay().queued == 0
