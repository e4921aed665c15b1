"""Delivery of email and SMS rows, at most once each, and the relay that re-queues rows whose
task never ran.

A row is claimed (pending -> sending) before anything leaves the building, so duplicate
tasks, retries and relays can never send it twice. Workers deliver in batches
(`notifications_deliver_due`: many due rows claimed with one SELECT … FOR UPDATE SKIP LOCKED,
sent over one email connection, recorded in bulk); `notification_deliver` sends one row.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import channels, engine
from ..models import AttemptOutcome, DeliveryAttempt, Notification, Status
from ..registry import Channel
from ..sms import PermanentDeliveryError, TransientDeliveryError, UnknownOutcomeError
from .outbox import publish

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str  # "sent", "retry", "failed", "skipped"
    retry_in: float | None = None


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> DeliveryResult:
    """Send one email/SMS row, at most once.

    1. Claim: UPDATE ... SET status='sending' WHERE status='pending' AND due. Only one
       process can win this compare-and-set, whatever the duplicates or retries.
    2. Send outside any transaction (never hold a lock during a network call).
    3. Record: sent; or back to pending with exponential backoff + jitter on a transient
       error; or failed with the error kept after the last try or on a permanent error.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Notification.objects.filter(
            pk=notification_id,
            status=Status.PENDING,
            send_after__lte=now,
            channel__in=[Channel.EMAIL, Channel.SMS],
        ).update(status=Status.SENDING, sending_since=now, attempts=F("attempts") + 1)
        if not claimed:
            return DeliveryResult("skipped")
        row = Notification.objects.get(pk=notification_id)
        attempt = DeliveryAttempt.objects.create(
            notification=row, number=row.attempts, started_at=now
        )

    outcome, error, message_id, retry_after = _send(row)
    return _finish(
        row, attempt, outcome, error=error, message_id=message_id, retry_after=retry_after
    )


def _send(row: Notification, *, email_connection=None) -> tuple[str, str, str, float | None]:
    """Hand one claimed row to its channel: (attempt outcome, error, message id, retry after)."""
    reference = f"notification-{row.pk}"
    try:
        if row.channel == Channel.EMAIL:
            message_id = channels.send_email(
                to=row.address,
                subject=row.subject,
                text=row.body_text,
                html=row.body_html,
                reference=reference,
                connection=email_connection,
            )
        else:
            message_id = channels.send_sms(
                to=row.address,
                text=row.body_text,
                reference=reference,
                event=row.event,
                context=row.context,
            )
    except PermanentDeliveryError as exc:
        return AttemptOutcome.PERMANENT_ERROR, str(exc), "", None
    except UnknownOutcomeError as exc:  # at most once: never retried automatically
        return AttemptOutcome.UNKNOWN, str(exc), "", None
    except TransientDeliveryError as exc:
        return AttemptOutcome.TRANSIENT_ERROR, str(exc), "", exc.retry_after
    except Exception as exc:  # an unknown failure is treated as transient, and kept
        logger.exception("Unexpected error delivering notification %s", row.pk)
        return AttemptOutcome.TRANSIENT_ERROR, f"{type(exc).__name__}: {exc}", "", None
    return AttemptOutcome.SENT, "", message_id, None


def _outcome(
    row: Notification,
    outcome: str,
    *,
    now: datetime,
    error: str = "",
    message_id: str = "",
    retry_after: float | None = None,
) -> tuple[dict, DeliveryResult]:
    """What the row becomes after an attempt (its new field values) and what to report: sent;
    back to pending after a backoff on a transient error while tries remain; else failed."""
    if outcome == AttemptOutcome.SENT:
        fields = {
            "status": Status.SENT,
            "sent_at": now,
            "sending_since": None,
            "provider_message_id": message_id[:128],
            "last_error": "",
        }
        return fields, DeliveryResult("sent")
    if (
        outcome == AttemptOutcome.TRANSIENT_ERROR
        and row.attempts < settings.NOTIFICATIONS_MAX_ATTEMPTS
    ):
        delay = engine.retry_delay(
            attempt=row.attempts,
            base_seconds=settings.NOTIFICATIONS_RETRY_BASE_SECONDS,
            max_seconds=settings.NOTIFICATIONS_RETRY_MAX_SECONDS,
        )
        delay = max(delay, retry_after or 0)
        fields = {
            "status": Status.PENDING,
            "send_after": now + timedelta(seconds=delay),
            "last_queued_at": now,  # the task retries itself; the relay is the safety net
            "sending_since": None,
            "last_error": error[:4000],
        }
        return fields, DeliveryResult("retry", retry_in=delay)
    fields = {"status": Status.FAILED, "sending_since": None, "last_error": error[:4000]}
    return fields, DeliveryResult("failed")


@transaction.atomic
def _finish(
    row: Notification,
    attempt: DeliveryAttempt,
    outcome: str,
    *,
    error: str = "",
    message_id: str = "",
    retry_after: float | None = None,
) -> DeliveryResult:
    now = timezone.now()
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=now, outcome=outcome, error=error[:2000]
    )
    fields, result = _outcome(
        row, outcome, now=now, error=error, message_id=message_id, retry_after=retry_after
    )
    # Only while still ours: the relay may have given up on a row stuck in `sending`.
    Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(**fields)
    if result.outcome == "failed":
        logger.warning("Notification %s failed: %s", row.pk, error)
    return result


@dataclass(frozen=True)
class BatchResult:
    claimed: int
    sent: int
    retried: int
    failed: int
    retry_in: float | None = None  # the soonest retry, when some rows were put back


def _claim_due(*, limit: int, now: datetime) -> list[Notification]:
    """Take up to `limit` due email/SMS rows for this worker: pending -> sending, one try
    more, an open attempt each. On PostgreSQL the rows are picked with one SELECT … FOR
    UPDATE SKIP LOCKED, so workers claiming at once each get different rows and none waits;
    elsewhere each row is taken by its own compare-and-set UPDATE (the single-row rule)."""
    due = Notification.objects.filter(
        status=Status.PENDING, send_after__lte=now, channel__in=[Channel.EMAIL, Channel.SMS]
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(
                due.select_for_update(skip_locked=True)
                .order_by("send_after", "id")
                .values_list("pk", flat=True)[:limit]
            )
            if ids:
                Notification.objects.filter(pk__in=ids, status=Status.PENDING).update(
                    status=Status.SENDING, sending_since=now, attempts=F("attempts") + 1
                )
        else:
            candidates = due.order_by("send_after", "id").values_list("pk", flat=True)[:limit]
            ids = [
                pk
                for pk in list(candidates)
                if due.filter(pk=pk).update(
                    status=Status.SENDING, sending_since=now, attempts=F("attempts") + 1
                )
            ]
        if not ids:
            return []
        rows = list(Notification.objects.filter(pk__in=ids).order_by("send_after", "id"))
        attempts = _open_attempts(rows, now=now)
    for row, attempt in zip(rows, attempts, strict=True):
        row.open_attempt = attempt
    return rows


def _open_attempts(rows: list[Notification], *, now: datetime) -> list[DeliveryAttempt]:
    """One open attempt per claimed row. On PostgreSQL one INSERT … SELECT FROM unnest(…)
    RETURNING id (Django's bulk_create spent more time building its SQL than running it)."""
    if connection.vendor != "postgresql":
        return DeliveryAttempt.objects.bulk_create(
            [DeliveryAttempt(notification=row, number=row.attempts, started_at=now) for row in rows]
        )
    table = DeliveryAttempt._meta.db_table
    sql = (
        f"INSERT INTO {table} (notification_id, number, started_at, outcome, error) "  # noqa: S608
        "SELECT n, a, %s, '', '' FROM unnest(%s::bigint[], %s::int[]) AS u(n, a) "
        "RETURNING id, notification_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, [row.pk for row in rows], [row.attempts for row in rows]])
        ids = {notification_id: pk for pk, notification_id in cursor.fetchall()}
    return [
        DeliveryAttempt(id=ids[row.pk], notification=row, number=row.attempts, started_at=now)
        for row in rows
    ]


def notifications_deliver_due(
    *, limit: int | None = None, now: datetime | None = None
) -> BatchResult:
    """Send a batch of due email/SMS rows, each at most once.

    1. Claim up to `limit` due rows at once (`_claim_due`).
    2. Send them outside any transaction, emails over one reused connection.
    3. Record every result in bulk, each row as `notification_deliver` would (sent; pending
       again after a backoff; failed), and only rows still in `sending` (the relay may have
       given up on a row meanwhile).
    Quiet hours hold as before: a row waiting for them is not due (`send_after`).
    """
    limit = limit or settings.NOTIFICATIONS_DELIVERY_BATCH
    now = now or timezone.now()
    rows = _claim_due(limit=limit, now=now)
    if not rows:
        return BatchResult(claimed=0, sent=0, retried=0, failed=0)

    outcomes = []
    email_connection = None
    try:
        if any(row.channel == Channel.EMAIL for row in rows):
            email_connection = get_connection(fail_silently=False)
            try:
                email_connection.open()
            except Exception:  # each send reports the failure on its own row
                logger.warning("Could not open the email connection", exc_info=True)
                email_connection = None
        for row in rows:
            outcomes.append(_send(row, email_connection=email_connection))
    finally:
        if email_connection is not None:
            try:
                email_connection.close()
            except Exception:
                logger.warning("Could not close the email connection", exc_info=True)

    finished = timezone.now()
    results = []
    for row, (outcome, error, message_id, retry_after) in zip(rows, outcomes, strict=True):
        attempt = row.open_attempt
        attempt.finished_at, attempt.outcome, attempt.error = finished, outcome, error[:2000]
        fields, result = _outcome(
            row, outcome, now=finished, error=error, message_id=message_id, retry_after=retry_after
        )
        for name, value in fields.items():
            setattr(row, name, value)
        results.append(result)
        if result.outcome == "failed":
            logger.warning("Notification %s failed: %s", row.pk, error)
    with transaction.atomic():
        _record(rows)
    retries = [r.retry_in for r in results if r.outcome == "retry"]
    return BatchResult(
        claimed=len(rows),
        sent=sum(r.outcome == "sent" for r in results),
        retried=len(retries),
        failed=sum(r.outcome == "failed" for r in results),
        retry_in=min(retries) if retries else None,
    )


def _record(rows: list[Notification]) -> None:
    """Write the attempts and the rows still `sending` (the relay may have given up on one
    meanwhile) in one UPDATE each. On PostgreSQL an `UPDATE … FROM (VALUES …)`: Django's
    bulk_update builds a CASE per row and field, which cost most of a batch's time."""
    attempts = [row.open_attempt for row in rows]
    if connection.vendor != "postgresql":
        DeliveryAttempt.objects.bulk_update(attempts, ["finished_at", "outcome", "error"])
        still_sending = set(
            Notification.objects.select_for_update()
            .filter(pk__in=[row.pk for row in rows], status=Status.SENDING)
            .values_list("pk", flat=True)
        )
        changed = [row for row in rows if row.pk in still_sending]
        if changed:
            Notification.objects.bulk_update(changed, _OUTCOME_FIELDS)
        return
    _update_from_values(
        DeliveryAttempt._meta.db_table,
        columns=[("finished_at", "timestamptz"), ("outcome", "text"), ("error", "text")],
        rows=[(a.pk, a.finished_at, a.outcome, a.error) for a in attempts],
    )
    _update_from_values(
        Notification._meta.db_table,
        columns=[(name, _COLUMN_TYPES[name]) for name in _OUTCOME_FIELDS],
        rows=[(row.pk, *(getattr(row, name) for name in _OUTCOME_FIELDS)) for row in rows],
        where=f"t.status = '{Status.SENDING}'",
    )


def _update_from_values(
    table: str, *, columns: list[tuple[str, str]], rows: list[tuple], where: str = ""
) -> None:
    """UPDATE table t SET col = v.col, … FROM unnest(ids, col, …) v WHERE t.id = v.id.

    One array parameter per column, not one placeholder per value: Django binds on the
    client, and psycopg re-parses a statement of 1,600 placeholders (too long for its cache)
    on every batch, which cost more than the UPDATE itself."""
    if not rows:
        return
    arrays = ", ".join(["%s::bigint[]", *(f"%s::{kind}[]" for _, kind in columns)])
    names = ", ".join(["id", *(name for name, _ in columns)])
    assignments = ", ".join(f"{name} = v.{name}" for name, _ in columns)
    condition = "t.id = v.id" + (f" AND {where}" if where else "")
    sql = (
        f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - our own names, values bound
        f"FROM unnest({arrays}) AS v({names}) WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])


_COLUMN_TYPES = {
    "status": "text",
    "sent_at": "timestamptz",
    "sending_since": "timestamptz",
    "provider_message_id": "text",
    "last_error": "text",
    "send_after": "timestamptz",
    "last_queued_at": "timestamptz",
}

# Every field `_outcome` may set (all are written; unset ones keep the row's value).
_OUTCOME_FIELDS = [
    "status",
    "sent_at",
    "sending_since",
    "provider_message_id",
    "last_error",
    "send_after",
    "last_queued_at",
]


@dataclass(frozen=True)
class RelayResult:
    queued: int
    abandoned: int


def outbox_relay(*, now: datetime | None = None) -> RelayResult:
    """Queue again every pending email/SMS row that is due and whose task never ran: the
    broker was down at commit, a worker died, or it waited for quiet hours to end.

    Safe with several relays at once: on PostgreSQL rows are taken with SKIP LOCKED, and a
    duplicate task is harmless anyway (delivery claims each row once). Rows stuck in
    `sending` (the worker died mid-send) are marked failed — they may have gone out, so they
    are never resent without a person deciding to.
    """
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS)
    abandoned = 0
    with transaction.atomic():
        stuck = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, sending_since__lt=stuck_before)
            .values_list("pk", flat=True)[: settings.NOTIFICATIONS_RELAY_BATCH]
        )
        if stuck:
            message = "The worker stopped while sending; it may or may not have gone out."
            abandoned = Notification.objects.filter(pk__in=stuck, status=Status.SENDING).update(
                status=Status.FAILED, sending_since=None, last_error=message
            )
            DeliveryAttempt.objects.filter(notification_id__in=stuck, outcome="").update(
                outcome=AttemptOutcome.UNKNOWN, finished_at=now, error=message
            )

    lost_before = now - timedelta(seconds=settings.NOTIFICATIONS_RELAY_AFTER_SECONDS)
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, send_after__lte=now)
            .filter(Q(last_queued_at__isnull=True) | Q(last_queued_at__lt=lost_before))
            .order_by("send_after")
            .values_list("pk", flat=True)[: settings.NOTIFICATIONS_RELAY_BATCH]
        )
        if due:
            Notification.objects.filter(pk__in=due).update(last_queued_at=now)
            transaction.on_commit(lambda: publish(due))
    return RelayResult(queued=len(due), abandoned=abandoned)
