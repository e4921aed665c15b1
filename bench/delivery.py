"""Delivery benchmark: email and SMS rows delivered by two workers, in batches and one by one,
against a baseline of one INSERT per delivery, all in the same run.

Seeds N pending rows (half email, half SMS) for in-memory providers (Django's locmem email
backend, `notifications.sms.LocMemSmsBackend`), then times, each with two worker threads on
their own database connections:
1. the baseline: one single-row INSERT (autocommit) per delivery into a scratch table, the
   work a one-INSERT task does once it runs;
2. one by one: `notification_deliver` per row (what each `notifications.deliver` task ran);
3. in batches: `notifications_deliver_due` until nothing is due (what `notifications.deliver_due`
   runs).
The Celery round trip around each task is left out of all three (the broker is in memory):
the figure is the database and sending work, so one-by-one is flattered, not batches.
Rows are reset to pending between (2) and (3). Reported as deliveries/s and as ratios.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from bench.common import commit, machine, own_database, record_rows, setup_django

SCALES = {"quick": 4_000, "full": 40_000}
WORKERS = 2
START, END = "<!-- bench:delivery:start -->", "<!-- bench:delivery:end -->"


def _seed(n: int, now: datetime) -> list[int]:
    from accounts.models import User
    from notifications.models import Notification

    user = User.objects.create(email="bench-delivery@bench.example", full_name="B", password="!")
    rows = [
        Notification(
            recipient=user,
            event="bench.delivery",
            category="service",
            channel="email" if i % 2 else "sms",
            dedupe_key=f"bench-{i}",
            language="en",
            address="bench@bench.example" if i % 2 else "+8613800000000",
            subject="Your credit line",
            body_text="We reviewed your credit line. " * 8,
            body_html="<p>We reviewed your credit line.</p>" if i % 2 else "",
            status="pending",
            send_after=now - timedelta(seconds=1),
        )
        for i in range(n)
    ]
    created = Notification.objects.bulk_create(rows, batch_size=2000)
    return [row.pk for row in created]


def _reset(ids: list[int], now: datetime) -> None:
    from notifications.models import DeliveryAttempt, Notification

    DeliveryAttempt.objects.all().delete()
    Notification.objects.filter(pk__in=ids).update(
        status="pending", attempts=0, sent_at=None, send_after=now - timedelta(seconds=1)
    )


def _in_threads(work) -> float:
    """Run work(worker_number) in WORKERS threads, each closing its connection; seconds."""
    from django.db import connection

    errors: list[BaseException] = []

    def target(number: int) -> None:
        try:
            work(number)
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(WORKERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def _baseline(n: int) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_delivery_done "
            "(id bigserial PRIMARY KEY, notification_id bigint UNIQUE, done_at timestamptz)"
        )

    def work(number: int) -> None:
        with connection.cursor() as cursor:
            for i in range(number, n, WORKERS):
                cursor.execute(
                    "INSERT INTO bench_delivery_done (notification_id, done_at) VALUES (%s, now())",
                    [i],
                )

    return _in_threads(work)


def _one_by_one(ids: list[int]) -> float:
    from notifications.services import notification_deliver

    def work(number: int) -> None:
        for pk in ids[number::WORKERS]:
            notification_deliver(notification_id=pk)

    return _in_threads(work)


def _batches(limit: int) -> float:
    from notifications.services import notifications_deliver_due

    def work(_number: int) -> None:
        while notifications_deliver_due(limit=limit).claimed:
            pass

    return _in_threads(work)


def run(scale: str, lines: int | None = None, write: bool = True) -> dict:
    n = lines or SCALES[scale]
    label, cleanup = own_database("bench_delivery")
    try:
        setup_django()
        from django.conf import settings
        from django.core import mail

        from notifications.models import Notification

        settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.LocMemSmsBackend"
        settings.NOTIFICATIONS_SMS_ROUTES = {}
        now = datetime.now(UTC)
        print(f"Delivery benchmark: {n:,} rows, {WORKERS} workers, on {label}")
        ids = _seed(n, now)
        base_time = _baseline(n)
        single_time = _one_by_one(ids)
        assert Notification.objects.filter(status="sent").count() == n
        _reset(ids, now)
        mail.outbox = []
        batch = settings.NOTIFICATIONS_DELIVERY_BATCH
        batch_time = _batches(batch)
        assert Notification.objects.filter(status="sent").count() == n
        result = {
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "scale": scale,
            "rows": n,
            "batch": batch,
            "database": label.split(" (")[0],
            "baseline_rate": n / base_time,
            "single_rate": n / single_time,
            "batch_rate": n / batch_time,
            "machine": machine(),
            "commit": commit(),
        }
        result["ratio"] = result["batch_rate"] / result["baseline_rate"]
        result["single_ratio"] = result["single_rate"] / result["baseline_rate"]
        print(
            f"  baseline (one INSERT each): {result['baseline_rate']:,.0f}/s\n"
            f"  one by one: {result['single_rate']:,.0f}/s ({result['single_ratio']:.2f}x)\n"
            f"  in batches of {batch}: {result['batch_rate']:,.0f}/s ({result['ratio']:.2f}x)"
        )
        if write:
            record_rows(start=START, end=END, header=HEADER, rows=[row(result)])
        return result
    finally:
        cleanup()


def row(r: dict) -> str:
    return (
        f"| {r['when']} | `{r['commit']}` | {r['rows']:,} | {r['database']} "
        f"| {r['baseline_rate']:,.0f} | {r['single_rate']:,.0f} ({r['single_ratio']:.2f}) "
        f"| {r['batch_rate']:,.0f} (**{r['ratio']:.2f}**) | {r['machine']} |"
    )


HEADER = (
    f"{START}\n"
    "## Notification delivery\n\n"
    "`python -m bench --only delivery`: half email, half SMS rows to in-memory providers, two\n"
    "worker threads each. Baseline: one single-row INSERT per delivery (what a one-INSERT\n"
    "task does). One by one: `notification_deliver` per row. Batches:\n"
    "`notifications_deliver_due` (claim with SKIP LOCKED, send, record in bulk). The Celery\n"
    "round trip is left out of all three. Deliveries/s, ratio to the baseline in brackets.\n"
    "Target (issue 16): 1,000 deliveries/s with two workers.\n\n"
    "| when | commit | rows | database | baseline/s | one by one/s | batches/s | machine |\n"
    "|---|---|---|---|---|---|---|---|\n"
)
