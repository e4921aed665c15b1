"""The durable after-commit queue: a row with the act, published on commit, relayed later."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import tasks as account_tasks
from jobs.models import QueuedJob
from jobs.services import job_enqueue, jobs_relay

pytestmark = pytest.mark.django_db(transaction=True)
TASK = "accounts.send_set_password_email"


@pytest.fixture
def broker(monkeypatch):
    """The broker's edge: records what was handed over; `down` makes it refuse."""

    class Broker:
        down = False
        got: list = []

        def apply_async(self, args=None, countdown=None, **options):
            if self.down:
                raise OperationalError(
                    "Error 111 connecting to 127.0.0.1:6379. Connection refused."
                )
            self.got.append(list(args))

    fake = Broker()
    fake.got = []
    monkeypatch.setattr(account_tasks.send_set_password_email, "apply_async", fake.apply_async)
    return fake


def test_work_is_handed_over_once_the_act_commits(broker):
    with transaction.atomic():
        job_enqueue(task=TASK, args=[7])
        assert broker.got == []  # not before commit
    assert broker.got == [[7]]
    assert QueuedJob.objects.get().published_at is not None


def test_nothing_is_queued_when_the_act_rolls_back(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        job_enqueue(task=TASK, args=[7])
        raise RuntimeError("the act failed")
    assert broker.got == [] and not QueuedJob.objects.exists()


def test_a_broker_outage_keeps_the_work_for_the_relay(broker):
    broker.down = True
    with transaction.atomic():
        job_enqueue(task=TASK, args=[7])  # no exception reaches the caller
    job = QueuedJob.objects.get()
    assert job.published_at is None and job.attempts == 1 and "refused" in job.last_error

    broker.down = False
    assert jobs_relay() == 0  # within the grace the relay leaves it alone
    later = timezone.now() + timedelta(minutes=3)
    assert jobs_relay(now=later) == 1
    assert jobs_relay(now=later) == 0
    assert broker.got == [[7]]


def test_the_relay_forgets_rows_published_a_week_ago(broker):
    with transaction.atomic():
        job_enqueue(task=TASK, args=[7])
    jobs_relay(now=timezone.now() + timedelta(days=8))
    assert not QueuedJob.objects.exists()


def test_the_relay_runs_every_minute():
    from config.beat import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["jobs-relay"] == {"task": "jobs.relay", "schedule": 60.0}
