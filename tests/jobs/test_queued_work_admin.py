"""Queued work in the admin: supervisors and the auditor read it (state and age of each row),
nobody changes it; the demo leaves rows of each kind; a database lost just after the act
committed does not turn its answer into an error."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.utils import timezone

from jobs import services as job_services
from jobs.models import QueuedJob
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
URL = "/admin/jobs/queuedjob/"


def _rows():
    now = timezone.now()
    QueuedJob.objects.create(
        task="accounts.send_set_password_email",
        args=[1],
        created_at=now - timedelta(minutes=7),
        attempts=6,
        last_error="OperationalError: Error 111 connecting to 127.0.0.1:6379.",
    )
    QueuedJob.objects.create(
        task="accounts.send_set_password_email",
        args=[2],
        created_at=now - timedelta(hours=3),
        published_at=now - timedelta(hours=3),
    )


def test_a_supervisor_sees_each_rows_state_and_age_and_cannot_change_it(client):
    _rows()
    client.force_login(StaffFactory(role="supervisor"))
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Broker unreachable; the relay retries" in text
    assert "Handed to the broker" in text
    assert "7\xa0minutes" in text and "3\xa0hours" in text
    retrying = client.get(URL, {"state": "retrying"}, HTTP_ACCEPT_LANGUAGE="en")
    assert [job.args for job in retrying.context["cl"].result_list] == [[1]]
    job = QueuedJob.objects.first()
    assert client.post(f"{URL}{job.pk}/delete/", {"post": "yes"}).status_code == 403
    assert QueuedJob.objects.count() == 2


def test_an_agent_does_not_see_queued_work(client):
    client.force_login(StaffFactory(role="agent"))
    assert client.get(URL).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_seed_demo_shows_work_handed_over_and_work_the_relay_retries():
    call_command("seed_demo")
    retrying = QueuedJob.objects.filter(published_at__isnull=True, attempts__gt=0)
    assert retrying.count() == 1
    assert QueuedJob.objects.filter(published_at__isnull=False).exists()
    rows = QueuedJob.objects.count()
    call_command("seed_demo")
    assert QueuedJob.objects.count() == rows


@pytest.mark.django_db(transaction=True)
def test_a_database_lost_after_the_commit_leaves_the_row_for_the_relay(monkeypatch):
    def lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(job_services, "jobs_publish", lost)
    with transaction.atomic():
        job = job_services.job_enqueue(task="accounts.send_set_password_email", args=[1])
    # the act's commit returned normally; the row waits for the relay
    assert QueuedJob.objects.get(pk=job.pk).published_at is None
