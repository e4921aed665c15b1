"""Writes of the data-collection layer: borrowers upserted from the core system and credit
events from any upstream system. Each item is judged on its own; what passes is written,
what fails is answered with its reason and logged, and nothing of a failed item is kept."""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import borrower_upsert
from credit import services as credit_services
from credit.models import CreditEvent, CreditLine
from credit.services.lender import HELD_BY_APPEAL, LineHeld

from .validation import MAX_BATCH, Reason, Rejection, ValidEvent, validate_event

logger = logging.getLogger("credit.ingestion")

INSERT_CHUNK = 500


class Status:
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    CREATED = "created"
    UPDATED = "updated"


@dataclass(frozen=True)
class ItemResult:
    index: int
    status: str
    external_id: str | None = None
    customer_id: str | None = None
    code: str | None = None
    reason: str | None = None


@dataclass
class IngestReport:
    results: list[ItemResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts


class BatchTooLarge(ValidationError):
    pass


def _check_batch_size(items: Sequence[Any]) -> None:
    if len(items) > MAX_BATCH:
        raise BatchTooLarge(
            f"A batch holds at most {MAX_BATCH} items; this one has {len(items)}. "
            "Split it; nothing of it was saved."
        )


def _log_rejection(kind: str, result: ItemResult, origin: str) -> None:
    # The message reads on its own in text logs; the fields are there for JSON logs.
    logger.warning(
        "%s.rejected: item %s (%s) %s",
        kind,
        result.index,
        result.external_id or result.customer_id,
        result.reason,
        extra={
            "origin": origin,
            "index": result.index,
            "external_id": result.external_id,
            "customer_id": result.customer_id,
            "reason_code": result.code,
            "reason": result.reason,
        },
    )


# --- credit events ------------------------------------------------------------------------


@transaction.atomic
def credit_events_ingest(
    *, items: Sequence[Any], origin: str, now: datetime | None = None
) -> IngestReport:
    """Store a batch of at most 1,000 credit events; answer each one.

    - An item that breaks the contract, names an unknown customer (or one without a credit
      line) or an `occurred_at` more than 5 minutes ahead is `rejected`; nothing of it is kept.
    - An item whose `(source, external_id)` is already stored, or came earlier in the same
      batch, is a `duplicate` and ignored: events are append-only and never overwritten.
    - The rest are `accepted`, inserted in bulk with ON CONFLICT DO NOTHING, so a replay
      running at the same moment can't fail or store anything twice; an item the other
      request stored first is answered `duplicate`.
    - Each line that got an accepted event is queued for a debounced re-evaluation, and its
      feature state (what the nightly pass reads) takes the event in, in this transaction.

    `origin` names the caller (token name, or the import file) for the logs.
    """
    _check_batch_size(items)
    now = now or timezone.now()
    results: dict[int, ItemResult] = {}
    candidates: list[ValidEvent] = []
    first_index: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        checked = validate_event(item, index=index, now=now)
        if isinstance(checked, Rejection):
            results[index] = ItemResult(
                index,
                Status.REJECTED,
                external_id=checked.external_id,
                customer_id=item.get("customer_id") if isinstance(item, dict) else None,
                code=checked.code,
                reason=checked.reason,
            )
        elif checked.key in first_index:
            results[index] = ItemResult(
                index,
                Status.DUPLICATE,
                external_id=checked.external_id,
                customer_id=checked.customer_id,
                reason=f"Repeats item {first_index[checked.key]} of this batch.",
            )
        else:
            first_index[checked.key] = index
            candidates.append(checked)

    line_ids = _line_ids_by_customer({event.customer_id for event in candidates})
    stored = _stored_keys([event.key for event in candidates])
    without_line = _customers_without_line(
        {e.customer_id for e in candidates if e.customer_id not in line_ids}
    )
    to_insert: list[ValidEvent] = []
    for event in candidates:
        if event.customer_id not in line_ids:
            code, reason = _customer_problem(event.customer_id, known=without_line)
            results[event.index] = ItemResult(
                event.index,
                Status.REJECTED,
                external_id=event.external_id,
                customer_id=event.customer_id,
                code=code,
                reason=reason,
            )
        elif event.key in stored:
            results[event.index] = ItemResult(
                event.index,
                Status.DUPLICATE,
                external_id=event.external_id,
                customer_id=event.customer_id,
                reason="Already stored (same source and external_id).",
            )
        else:
            to_insert.append(event)

    inserted = _insert_ignoring_conflicts(to_insert, line_ids=line_ids, received_at=now)
    touched_lines: set[int] = set()
    for event in to_insert:
        if event.key in inserted:
            touched_lines.add(line_ids[event.customer_id])
            results[event.index] = ItemResult(
                event.index,
                Status.ACCEPTED,
                external_id=event.external_id,
                customer_id=event.customer_id,
            )
        else:
            results[event.index] = ItemResult(
                event.index,
                Status.DUPLICATE,
                external_id=event.external_id,
                customer_id=event.customer_id,
                reason="Already stored by a request that ran at the same time.",
            )
    # The nightly pass's state of each line takes the new events in with them (same
    # transaction), and the line is due for a look.
    credit_services.feature_states_fold(
        events=[
            (line_ids[event.customer_id], event.kind, event.occurred_at, event.data)
            for event in to_insert
            if event.key in inserted
        ],
        now=now,
    )
    if touched_lines:
        credit_services.reevaluation_request(line_ids=sorted(touched_lines), trigger="event")

    report = IngestReport(results=[results[i] for i in sorted(results)])
    for result in report.results:
        if result.status == Status.REJECTED:
            _log_rejection("credit_event", result, origin)
    logger.info("credit_events.ingested", extra={"origin": origin, "counts": report.counts})
    return report


def _line_ids_by_customer(customer_ids: set[str]) -> dict[str, int]:
    if not customer_ids:
        return {}
    if connection.vendor == "postgresql":
        # One array parameter instead of one placeholder per customer: the driver quotes a
        # 1,000-placeholder query on the client at a cost that rivals the query itself.
        line, user = CreditLine._meta, User._meta
        qn = connection.ops.quote_name
        sql = (
            f"SELECT u.{qn(user.get_field('customer_id').column)}, l.{qn(line.pk.column)}"  # noqa: S608 - identifiers from model meta
            f" FROM {qn(line.db_table)} l JOIN {qn(user.db_table)} u"
            f" ON u.{qn(user.pk.column)} = l.{qn(line.get_field('borrower').column)}"
            f" WHERE u.{qn(user.get_field('customer_id').column)} = ANY(%s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [sorted(customer_ids)])
            return dict(cursor.fetchall())
    return dict(
        CreditLine.objects.filter(borrower__customer_id__in=customer_ids).values_list(
            "borrower__customer_id", "pk"
        )
    )


def _customers_without_line(customer_ids: set[str]) -> set[str]:
    """Of these customer ids (none has a line), the ones that are borrowers we know."""
    if not customer_ids:
        return set()
    return set(
        User.objects.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True)
    )


def _customer_problem(customer_id: str, *, known: set[str]) -> tuple[str, str]:
    if customer_id in known:
        return (
            Reason.NO_CREDIT_LINE,
            f"customer_id: {customer_id!r} has no credit line yet; "
            "send it to /api/v1/borrowers/ first.",
        )
    return Reason.UNKNOWN_CUSTOMER, f"customer_id: unknown customer {customer_id!r}."


def _stored_keys(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    if not keys:
        return set()
    wanted = set(keys)
    if connection.vendor == "postgresql":
        # The exact pairs, as two array parameters, through the unique index.
        meta = CreditEvent._meta
        qn = connection.ops.quote_name
        source, external = (
            qn(meta.get_field("source").column),
            qn(meta.get_field("external_id").column),
        )
        sql = (
            f"SELECT e.{source}, e.{external} FROM {qn(meta.db_table)} e"  # noqa: S608 - identifiers from model meta
            f" JOIN unnest(%s::text[], %s::text[]) AS k(source, external_id)"
            f" ON e.{source} = k.source AND e.{external} = k.external_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [[s for s, _ in keys], [e for _, e in keys]])
            return {(s, e) for s, e in cursor.fetchall()}
    found = CreditEvent.objects.filter(
        source__in={s for s, _ in keys}, external_id__in={e for _, e in keys}
    ).values_list("source", "external_id")
    return {key for key in found if key in wanted}


def _insert_ignoring_conflicts(
    events: list[ValidEvent], *, line_ids: dict[str, int], received_at: datetime
) -> set[tuple[str, str]]:
    """INSERT … ON CONFLICT (source, external_id) DO NOTHING RETURNING the keys stored.

    Django's bulk_create(ignore_conflicts=True) can't say which rows it stored; this
    can, on PostgreSQL and SQLite (3.35+) alike, so a concurrent replay is reported
    as duplicate instead of both requests claiming the same event.
    """
    if not events:
        return set()
    # Rows go in in key order: two requests holding the same events in different orders then
    # take the unique index's locks in one order, and wait for each other instead of
    # deadlocking.
    events = sorted(events, key=lambda event: event.key)
    if connection.vendor == "postgresql":
        return _insert_from_arrays(events, line_ids=line_ids, received_at=received_at)
    meta = CreditEvent._meta
    names = ("line", "source", "external_id", "kind", "occurred_at", "received_at", "data")
    fields = [meta.get_field(name) for name in names]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    source_col, external_col = (
        qn(meta.get_field("source").column),
        qn(meta.get_field("external_id").column),
    )
    table = qn(meta.db_table)
    on_conflict = (
        f" ON CONFLICT ({source_col}, {external_col}) DO NOTHING"
        f" RETURNING {source_col}, {external_col}"
    )
    inserted: set[tuple[str, str]] = set()
    for start in range(0, len(events), INSERT_CHUNK):
        chunk = events[start : start + INSERT_CHUNK]
        params: list[Any] = []
        for event in chunk:
            values = (
                line_ids[event.customer_id],
                event.source,
                event.external_id,
                event.kind,
                event.occurred_at,
                received_at,
                event.data,
            )
            params.extend(
                f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)
            )
        # Only quoted identifiers from the model's meta are formatted in; values are params.
        insert = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
        sql = insert + ", ".join([row] * len(chunk)) + on_conflict
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            inserted.update((source, external_id) for source, external_id in cursor.fetchall())
    return inserted


def _insert_from_arrays(
    events: list[ValidEvent], *, line_ids: dict[str, int], received_at: datetime
) -> set[tuple[str, str]]:
    """PostgreSQL: the whole batch as one INSERT … SELECT FROM unnest(one array per column),
    in the order given (WITH ORDINALITY … ORDER BY), same ON CONFLICT and RETURNING. Seven
    parameters instead of seven per row: the driver no longer quotes a 7,000-placeholder
    statement on the client, and Django's per-value field preparation is not needed for
    values validation already made plain (ints, text, aware datetimes, a JSON object)."""
    meta = CreditEvent._meta
    qn = connection.ops.quote_name
    names = ("line", "source", "external_id", "kind", "occurred_at", "received_at", "data")
    columns = ", ".join(qn(meta.get_field(name).column) for name in names)
    source_col, external_col = (
        qn(meta.get_field("source").column),
        qn(meta.get_field("external_id").column),
    )
    encoder = meta.get_field("data").encoder
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({columns})"  # noqa: S608 - identifiers from model meta
        " SELECT line_id, source, external_id, kind, occurred_at, %s, data::jsonb"
        " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::timestamptz[],"
        " %s::text[]) WITH ORDINALITY"
        " AS given(line_id, source, external_id, kind, occurred_at, data, position)"
        " ORDER BY position"
        f" ON CONFLICT ({source_col}, {external_col}) DO NOTHING"
        f" RETURNING {source_col}, {external_col}"
    )
    params = [
        received_at,
        [line_ids[event.customer_id] for event in events],
        [event.source for event in events],
        [event.external_id for event in events],
        [event.kind for event in events],
        [event.occurred_at for event in events],
        [json.dumps(event.data, cls=encoder) for event in events],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(source, external_id) for source, external_id in cursor.fetchall()}


# --- borrowers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BorrowerItem:
    """One borrower as the core system describes it, already parsed."""

    customer_id: str
    full_name: str
    email: str
    phone: str | None
    language: str
    time_zone: str
    credit_limit: Any
    balance: Any
    status: str | None = None
    reason_code: str | None = None


def borrowers_upsert(*, items: Sequence[BorrowerItem | Rejection], origin: str) -> IngestReport:
    """Create or update each borrower and their credit line, one item at a time.

    Each item runs in its own transaction: a conflict (an email or phone held by another
    account) rejects that item only, and what it had written is rolled back. A new borrower
    gets a "set your password" email once their item is committed. Parsing failures arrive
    here as `Rejection`s, so every item is answered and logged in one place.
    """
    _check_batch_size(items)
    report = IngestReport()
    for index, item in enumerate(items):
        if isinstance(item, Rejection):
            result = ItemResult(
                index,
                Status.REJECTED,
                customer_id=item.external_id,
                code=item.code,
                reason=item.reason,
            )
        else:
            result = _borrower_upsert_one(index, item, origin)
        report.results.append(result)
        if result.status == Status.REJECTED:
            _log_rejection("borrower", result, origin)
    logger.info("borrowers.upserted", extra={"origin": origin, "counts": report.counts})
    return report


def _borrower_upsert_one(index: int, item: BorrowerItem, origin: str = "") -> ItemResult:
    try:
        with transaction.atomic():
            user, created = borrower_upsert(
                customer_id=item.customer_id,
                full_name=item.full_name,
                email=item.email,
                phone=item.phone,
                language=item.language,
                time_zone=item.time_zone,
            )
            credit_services.credit_line_upsert(
                borrower=user,
                credit_limit=item.credit_limit,
                balance=item.balance,
                status=item.status,
                reason_code=item.reason_code,
                origin=origin,
            )
    except LineHeld as exc:
        return ItemResult(
            index,
            Status.REJECTED,
            customer_id=item.customer_id,
            code=HELD_BY_APPEAL,
            reason=" ".join(exc.messages),
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            reason = "; ".join(
                f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items()
            )
        else:
            reason = " ".join(exc.messages)
        return ItemResult(
            index,
            Status.REJECTED,
            customer_id=item.customer_id,
            code=Reason.INVALID_FIELD,
            reason=reason,
        )
    except IntegrityError:
        return ItemResult(
            index,
            Status.REJECTED,
            customer_id=item.customer_id,
            code="conflict",
            reason="Another request changed this borrower at the same moment; send it again.",
        )
    return ItemResult(
        index,
        Status.CREATED if created else Status.UPDATED,
        customer_id=item.customer_id,
    )
