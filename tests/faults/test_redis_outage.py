"""Finding 3 and the Redis fault test: with Redis (broker and cache) stopped, borrowers submit
and start appeals and upstream posts events; every act is answered as saved, and every
follow-up runs once after Redis is back (the relay hands the queued work to a real worker)."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from appeals.models import Appeal, AppealStatus
from credit.models import CreditDecision
from jobs.models import QueuedJob
from jobs.services import job_enqueue, jobs_relay
from tests.accounts.factories import bearer, service_token
from tests.appeals import factories as f
from tests.credit.ingestion_factories import event
from tests.credit.story import active_line, closing_line
from tests.faults.conftest import celery_on, wait_until, worker

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cache_on_private_redis(private_redis, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url(1),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield caches["default"]


def _serious_overdue(customer_id: str, external_id: str) -> dict:
    return event(
        customer_id,
        external_id,
        "external_overdue",
        data={"days_past_due": 95, "amount": "5000", "platform": "QuickLoan"},
    )


def test_acts_are_saved_and_their_follow_ups_run_once_redis_is_back(
    private_redis, cache_on_private_redis, settings, client
):
    settings.CREDIT_REEVALUATION_DEBOUNCE_SECONDS = 0
    submitted = f.draft_appeal(line=closing_line())  # submitted while Redis is down
    starter_line = closing_line()  # a borrower who starts an appeal while Redis is down
    upstream_line = active_line()
    upstream_line.borrower.customer_id = "C-OUTAGE"
    upstream_line.borrower.save()
    _, raw = service_token()
    decisions_before = CreditDecision.objects.filter(line=upstream_line).count()

    with celery_on(private_redis.url(0)):
        # A process that published before the outage (every web process in production) holds
        # a connection to the broker and the result store; the outage must not make that an
        # error either.
        with transaction.atomic():
            job_enqueue(task="jobs.relay")
        assert not QueuedJob.objects.filter(published_at__isnull=True).exists()
        private_redis.stop()

        client.force_login(submitted.borrower)
        answer = client.post(reverse("appeals:submit", args=[submitted.pk]))
        assert answer.status_code == 302
        submitted.refresh_from_db()
        assert submitted.status == AppealStatus.SUBMITTED

        posted = APIClient().post(
            "/api/v1/credit-events/",
            [_serious_overdue("C-OUTAGE", "outage-1")],
            format="json",
            **bearer(raw),
        )
        assert posted.status_code == 200
        assert posted.json()["counts"]["accepted"] == 1

        client.force_login(starter_line.borrower)
        started = client.post(
            reverse("appeals:start"),
            {
                "decision": f.latest_decision(starter_line).pk,
                "grounds": ["repaid_on_time"],
                "statement": "我一直按时还款。",
            },
        )
        assert started.status_code == 302
        assert Appeal.objects.filter(line=starter_line).exists()

        waiting = QueuedJob.objects.filter(published_at__isnull=True)
        assert sorted(waiting.values_list("task", flat=True)) == [
            "appeals.auto_review",
            "credit.request_reevaluation",
        ]
        assert all(job.attempts == 1 and job.last_error for job in waiting)

        private_redis.start()
        assert jobs_relay(now=timezone.now() + timedelta(minutes=5)) == 2
        assert not QueuedJob.objects.filter(published_at__isnull=True).exists()
        assert jobs_relay(now=timezone.now() + timedelta(minutes=5)) == 0  # nothing twice

        with worker(
            private_redis.url(0),
            private_redis.url(1),
            CREDIT_REEVALUATION_DEBOUNCE_SECONDS="0",
        ):
            wait_until(
                lambda: Appeal.objects.get(pk=submitted.pk).auto_reviewed_at is not None,
                what="the appeal's automatic review",
            )
            wait_until(
                lambda: (
                    CreditDecision.objects.filter(line=upstream_line).count() > decisions_before
                ),
                what="the re-evaluation after the posted event",
            )
    event_decisions = CreditDecision.objects.filter(line=upstream_line, trigger="event")
    assert event_decisions.count() == decisions_before + 1  # once, not twice


def test_my_credit_is_shown_and_a_person_erased_while_the_cache_is_down(
    private_redis, cache_on_private_redis, client
):
    """My credit keeps its rendered history in the cache (Redis): with Redis stopped the page
    and the API render it afresh instead of failing, and an erasure still completes."""
    from accounts.models import User
    from accounts.rights import person_erase

    line = closing_line(days_ago=7)
    client.force_login(line.borrower)
    warm = client.get(reverse("credit:my-credit"), HTTP_ACCEPT_LANGUAGE="en")
    assert warm.status_code == 200
    private_redis.stop()

    page = client.get(reverse("credit:my-credit"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "days left" in page.content.decode()
    api = client.get("/api/v1/me/credit-line/", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 200
    assert api.json()["status"] == "closing"

    email = line.borrower.email
    with transaction.atomic():
        person_erase(person=line.borrower, now=timezone.now(), reason="deletion request")
    erased = User.objects.get(pk=line.borrower_id)
    assert erased.erased_at is not None and erased.email != email


def test_a_form_sent_with_its_once_only_token_is_acted_on_while_the_cache_is_down(
    private_redis, cache_on_private_redis, client
):
    """Every borrower form carries a once-only token remembered in the cache; with Redis
    stopped the appeal is still submitted (the guard is skipped, not the act), and sending
    the same form again does not submit it twice."""
    draft = f.draft_appeal(line=closing_line())
    client.force_login(draft.borrower)
    private_redis.stop()

    sent = {"form_token": "tap-1"}
    first = client.post(reverse("appeals:submit", args=[draft.pk]), sent)
    assert first.status_code == 302
    draft.refresh_from_db()
    assert draft.status == AppealStatus.SUBMITTED
    submitted_at = draft.submitted_at

    again = client.post(reverse("appeals:submit", args=[draft.pk]), sent)
    assert again.status_code in (302, 400, 409)
    draft.refresh_from_db()
    assert (draft.status, draft.submitted_at) == (AppealStatus.SUBMITTED, submitted_at)


def test_the_desk_works_a_case_while_the_cache_is_down(
    private_redis, cache_on_private_redis, client
):
    """Who else has a case open is kept in the cache and only advisory: with Redis stopped a
    reviewer opens the case, decides it, and the presence poll still reports the case moved
    (from the database) to a page loaded before the decision."""
    from appeals.services import state_token
    from tests.appeals.desk.test_case import act, case_url, signed_in

    appeal = f.in_review_appeal()
    reviewer = f.reviewer()
    client = signed_in(client, reviewer)
    seen = state_token(appeal)
    private_redis.stop()

    assert client.get(case_url(appeal)).status_code == 200
    decided = act(client, appeal, "decide", outcome="approve", comment="按时还款，恢复额度")
    assert decided.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.APPROVED

    poll = client.get(
        reverse("admin:appeals_appeal_presence", args=[appeal.pk]), {"loaded": "0", "seen": seen}
    )
    assert poll.status_code == 200
    assert poll.json()["changed"] is True and poll.json()["others"] == []


def test_the_appeal_page_is_shown_while_the_cache_is_down(
    private_redis, cache_on_private_redis, client
):
    """The appeal page keeps its read-only parts in the cache (Redis): with Redis stopped it
    renders them afresh, a message sent since shows, and an erasure still completes."""
    from accounts.rights import person_erase
    from appeals import services

    appeal = f.in_review_appeal()
    client.force_login(appeal.borrower)
    url = reverse("appeals:detail", args=[appeal.pk])
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200  # kept in the cache
    private_redis.stop()

    services.appeal_staff_message(
        appeal=appeal, actor=appeal.assignee, body="请上传最近三个月的还款记录。", internal=False
    )
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "请上传最近三个月的还款记录。" in page.content.decode()

    with transaction.atomic():
        person_erase(person=appeal.borrower, now=timezone.now(), reason="deletion request")
    appeal.borrower.refresh_from_db()
    assert appeal.borrower.erased_at is not None
