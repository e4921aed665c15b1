"""Re-evaluation requests (debounced), the nightly fan-out, and manage.py reevaluate."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.management import CommandError, call_command
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from config.beat import BEAT_SCHEDULE
from credit import services, tasks
from credit.models import CreditDecision, CreditLineStatus, EvaluationBatch
from jobs.models import QueuedJob
from jobs.services import jobs_relay
from tests.credit.factories import (
    at,
    make_line,
    multi_lending,
    repayments,
)

NOW = at(date(2025, 12, 5), 12)


@pytest.fixture
def scheduled(monkeypatch):
    """Evaluations scheduled through the broker, recorded at the boundary (apply_async)."""
    calls = []

    def fake_apply_async(args=None, kwargs=None, countdown=None, **options):
        calls.append({"args": args, "countdown": countdown})

    monkeypatch.setattr(tasks.reevaluate_debounced, "apply_async", fake_apply_async)
    return calls


@pytest.fixture(autouse=True)
def _fresh_state():
    """An empty debounce cache (the rows data migrations wrote come back through the
    conftest's `_migrated_data`)."""
    caches["default"].clear()
    yield
    caches["default"].clear()


def closing_candidate():
    line = make_line(opened_at=NOW - timedelta(days=320))
    repayments(line, first_due=date(2025, 2, 10), count=10)
    multi_lending(line, start=NOW - timedelta(days=10))
    return line


@pytest.mark.django_db(transaction=True)
def test_many_events_for_one_line_within_a_minute_make_one_evaluation(scheduled, settings):
    settings.CREDIT_REEVALUATION_DEBOUNCE_SECONDS = 60
    line = make_line()
    for _ in range(25):
        with transaction.atomic():
            services.reevaluation_request(line_ids=[line.pk, line.pk], trigger="event")
    assert scheduled == [{"args": [[line.pk], "event"], "countdown": 60}]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_scheduled_when_the_callers_transaction_rolls_back(scheduled):
    line = make_line()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.reevaluation_request(line_ids=[line.pk], trigger="event")
        raise RuntimeError("ingestion failed")
    assert scheduled == []


@pytest.mark.django_db(transaction=True)
def test_each_line_is_debounced_on_its_own(scheduled):
    a, b = make_line(), make_line()
    services.reevaluation_request(line_ids=[a.pk, b.pk], trigger="event")
    services.reevaluation_request(line_ids=[b.pk], trigger="event")
    assert [c["args"][0] for c in scheduled] == [sorted([a.pk, b.pk])]


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_lines_is_one_evaluation_per_chunk_not_per_line(scheduled, settings):
    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2
    lines = [make_line() for _ in range(5)]
    ids = sorted(line.pk for line in lines)
    services.reevaluation_request(line_ids=ids, trigger="event")
    assert [c["args"] for c in scheduled] == [
        [ids[0:2], "event"],
        [ids[2:4], "event"],
        [ids[4:], "event"],
    ]
    # The lines already waiting ride along; only the new one is scheduled.
    newcomer = make_line()
    services.reevaluation_request(line_ids=[ids[0], newcomer.pk], trigger="event")
    assert scheduled[-1]["args"] == [[newcomer.pk], "event"]
    assert len(scheduled) == 4


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_on_redis_a_batch_claims_its_lines_in_one_pipeline_shared_by_every_process(
    scheduled, redis_url, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "speed16-test",
        }
    }
    from django.core.cache import cache

    a, b, c = (make_line() for _ in range(3))
    keys = [services.PENDING_KEY.format(line_id=line.pk) for line in (a, b, c)]
    cache.delete_many(keys)
    try:
        services.reevaluation_schedule(line_ids=[a.pk, b.pk], trigger="event")
        # Another process, with a cache client of its own, sees both claims.
        other = RedisCache(redis_url, {"KEY_PREFIX": "speed16-test"})
        assert other.get(keys[0]) == "event" and other.get(keys[1]) == "event"
        services.reevaluation_schedule(line_ids=[b.pk, c.pk], trigger="event")
        assert [call["args"][0] for call in scheduled] == [[a.pk, b.pk], [c.pk]]
        # The task releases its lines in one go: they can be scheduled again.
        services.reevaluation_release(line_ids=[a.pk, b.pk])
        assert other.get(keys[0]) is None and other.get(keys[2]) == "event"
    finally:
        cache.delete_many(keys)


@pytest.mark.django_db(transaction=True)
def test_the_task_releases_the_line_first_so_later_events_schedule_again(scheduled, sent_notices):
    line = closing_candidate()
    services.reevaluation_request(line_ids=[line.pk], trigger="event")
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        result = tasks.reevaluate_debounced([line.pk], "event")
    assert result == {"evaluated": 1, "changed": 1}
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING
    services.reevaluation_request(line_ids=[line.pk], trigger="event")
    assert len(scheduled) == 2
    # Run twice: the second run changes nothing (idempotent).
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        assert tasks.reevaluate_debounced([line.pk], "event") == {"evaluated": 1, "changed": 0}


@pytest.mark.django_db(transaction=True)
def test_in_the_embedded_mode_a_request_evaluates_right_after_commit(sent_notices):
    line = closing_candidate()
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        services.reevaluation_request(line_ids=[line.pk], trigger="event")
        assert not CreditDecision.objects.exists()
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING


@pytest.mark.redis
def test_debounce_claims_are_shared_between_processes_through_redis(redis_url):
    # Two cache clients, as two web processes or workers would have: one claim wins.
    first = RedisCache(redis_url, {})
    second = RedisCache(redis_url, {})
    key = services.PENDING_KEY.format(line_id=987654321)
    first.delete(key)
    try:
        assert first.add(key, "event", timeout=60) is True
        assert second.add(key, "event", timeout=60) is False
        second.delete(key)  # the task releases the line
        assert first.add(key, "event", timeout=60) is True
    finally:
        first.delete(key)


@pytest.mark.django_db(transaction=True)
def test_the_nightly_run_fans_out_chunks_of_ids(settings, sent_notices):
    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2
    lines = [closing_candidate() for _ in range(5)]
    with time_machine.travel(NOW, tick=False):
        assert tasks.reevaluate_all_lines() == 3
    batch = EvaluationBatch.objects.get()
    chunks = [job.args for job in QueuedJob.objects.order_by("id")]
    # Incremental chunks: each scores only its lines whose look has come (all, the first night).
    assert chunks == [
        [[lines[0].pk, lines[1].pk], "periodic", None, batch.pk, True],
        [[lines[2].pk, lines[3].pk], "periodic", None, batch.pk, True],
        [[lines[4].pk], "periodic", None, batch.pk, True],
    ]
    assert not QueuedJob.objects.filter(published_at__isnull=True).exists()
    assert CreditDecision.objects.filter(trigger="periodic").count() == 5
    assert BEAT_SCHEDULE["credit.reevaluate_all_lines"]["task"] == "credit.reevaluate_all_lines"
    assert BEAT_SCHEDULE["credit.close_due_lines"]["task"] == "credit.close_due_lines"


@pytest.mark.django_db(transaction=True)
def test_a_broker_error_during_the_nightly_fan_out_loses_no_chunk(
    monkeypatch, settings, sent_notices
):
    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2
    lines = [closing_candidate() for _ in range(5)]
    real = tasks.reevaluate_lines.apply_async
    published = []

    def broker_down_for_the_second_chunk(args=None, **options):
        published.append(args[0])
        if len(published) == 2:
            raise KombuOperationalError("Connection refused")
        return real(args=args, **options)

    monkeypatch.setattr(tasks.reevaluate_lines, "apply_async", broker_down_for_the_second_chunk)
    with time_machine.travel(NOW, tick=False):
        assert tasks.reevaluate_all_lines() == 3
        # The batch waits for its missing chunk: the circuit breaker decides on all of it,
        # so the chunks that ran are staged, not yet applied.
        assert CreditDecision.objects.filter(trigger="periodic").count() == 0
        assert EvaluationBatch.objects.get().state == "running"
        waiting = QueuedJob.objects.get(published_at__isnull=True)
        assert waiting.args[0] == [lines[2].pk, lines[3].pk]
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert jobs_relay() == 1
    assert CreditDecision.objects.filter(trigger="periodic").count() == 5


@pytest.mark.django_db(transaction=True)
def test_staff_request_from_the_admin_runs_with_the_actor(staff_user, sent_notices):
    line = closing_candidate()
    with time_machine.travel(NOW, tick=False):
        services.credit_lines_reevaluation_queue(
            line_ids=[line.pk], trigger="staff", actor=staff_user
        )
    decision = CreditDecision.objects.get()
    assert (decision.trigger, decision.actor) == ("staff", staff_user)


@pytest.mark.django_db
def test_reevaluate_command_all_and_by_customer(capsys, sent_notices):
    lines = [closing_candidate() for _ in range(3)]
    kept = make_line()
    with time_machine.travel(NOW, tick=False):
        call_command("reevaluate", "--customer", lines[0].borrower.customer_id, "--no-progress")
        assert "changed: 1" in capsys.readouterr().out
        call_command("reevaluate", "--all", "--chunk-size", "2")
    captured = capsys.readouterr()
    assert "Evaluated 4 line(s); changed: 2 (schedule_closure: 2)" in captured.out
    assert "line" in captured.err  # the progress bar
    kept.refresh_from_db()
    assert kept.status == CreditLineStatus.ACTIVE


@pytest.mark.django_db
def test_reevaluate_command_refuses_unknown_customers_and_bad_options():
    with pytest.raises(CommandError, match="NOPE-1"):
        call_command("reevaluate", "--customer", "NOPE-1")
    with pytest.raises(CommandError):
        call_command("reevaluate")
    with pytest.raises(CommandError, match="chunk-size"):
        call_command("reevaluate", "--all", "--chunk-size", "0")


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_evaluates_a_chunk(celery_worker_process, sent_notices):
    line = closing_candidate()
    result = tasks.reevaluate_lines.delay([line.pk], "staff", None)
    assert result.get(timeout=30) == {"evaluated": 1, "changed": 1}
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING


@pytest.mark.django_db(transaction=True)
def test_batch_notices_are_sent_after_commit_and_a_lost_task_is_caught_by_the_sweep(monkeypatch):
    from notifications.models import Notification

    lines = [closing_candidate() for _ in range(3)]
    lost = []
    monkeypatch.setattr(tasks.send_decision_notices, "delay", lambda ids: lost.append(ids))
    with time_machine.travel(NOW, tick=False):
        tasks.reevaluate_lines([x.pk for x in lines], "periodic", None)
    assert len(lost) == 1 and len(lost[0]) == 3
    assert not Notification.objects.exists()  # the broker lost the notices task

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert tasks.send_missing_notices() == 3
        assert tasks.send_missing_notices() == 0  # nothing sent twice
    events = set(Notification.objects.values_list("recipient_id", "event"))
    assert events == {(x.borrower_id, "credit.closure_scheduled") for x in lines}
    assert BEAT_SCHEDULE["credit.send_missing_notices"]["task"] == "credit.send_missing_notices"
