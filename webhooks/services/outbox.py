"""emit(): the outbox rows for the lender, written in the caller's transaction.

The apps call it from their `outbound.py` inside the act's transaction, so a rolled-back
act sends nothing and a committed act is never lost. Each message takes the next sequence
number of its credit line under the line's counter lock; one delivery row is written per
endpoint subscribed to its type (a disabled endpoint too, so it catches up when enabled).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from config.copy_values import copy_create

from .. import registry
from ..models import LineSequence, WebhookDelivery, WebhookEndpoint, WebhookMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    event_type: str
    line_id: int
    data: dict


def emit(*, event_type: str, line_id: int, data: dict, now: datetime | None = None):
    return emit_many([Outgoing(event_type, line_id, data)], now=now)[0]


def emit_many(items: Iterable[Outgoing], *, now: datetime | None = None) -> list[WebhookMessage]:
    """Write the messages (in the given order within each line) and their deliveries."""
    items = list(items)
    if not items:
        return []
    for item in items:
        registry.event_type(item.event_type)  # refuse unknown types before writing anything
    now = now or timezone.now()
    sequences = _take_sequences([item.line_id for item in items])
    messages = []
    for item, sequence in zip(items, sequences, strict=True):
        msg_id = f"msg_{uuid.uuid4().hex}"
        messages.append(
            WebhookMessage(
                msg_id=msg_id,
                event_type=item.event_type,
                line_id=item.line_id,
                sequence=sequence,
                created_at=now,
                payload={
                    "type": item.event_type,
                    "timestamp": now.isoformat(),
                    "data": {**item.data, "credit_line_id": item.line_id, "sequence": sequence},
                },
            )
        )
    messages = copy_create(WebhookMessage, messages)  # COPY on PostgreSQL: a batch's worth
    endpoints = list(WebhookEndpoint.objects.all())
    deliveries = [
        WebhookDelivery(
            endpoint=endpoint,
            message=message,
            line_id=message.line_id,
            sequence=message.sequence,
            next_attempt_at=now,
        )
        for message in messages
        for endpoint in endpoints
        if endpoint.wants(message.event_type)
    ]
    if deliveries:
        copy_create(WebhookDelivery, deliveries)
        transaction.on_commit(_queue_delivery)
    return messages


def _take_sequences(line_ids: list[int]) -> list[int]:
    """The next sequence number for each item, counters locked (in id order: no deadlock).
    On PostgreSQL one upsert moves every line's counter on by its number of items and returns
    where it ended; elsewhere the counters are created, locked, read and written back."""
    counts = Counter(line_ids)
    if connection.vendor == "postgresql":
        wanted = sorted(counts)
        table = connection.ops.quote_name(LineSequence._meta.db_table)
        values = ", ".join(["(%s, %s)"] * len(wanted))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} AS s (line_id, last) VALUES {values}"  # noqa: S608 - the model's table; values bound
                " ON CONFLICT (line_id) DO UPDATE SET last = s.last + EXCLUDED.last"
                " RETURNING line_id, last",
                [value for line_id in wanted for value in (line_id, counts[line_id])],
            )
            # Each line's first number is its counter before: the last taken less its items.
            following = {line_id: last - counts[line_id] for line_id, last in cursor.fetchall()}
        taken = []
        for line_id in line_ids:
            following[line_id] += 1
            taken.append(following[line_id])
        return taken
    wanted = sorted(counts)
    LineSequence.objects.bulk_create(
        [LineSequence(line_id=line_id) for line_id in wanted], ignore_conflicts=True
    )
    counters = {
        c.line_id: c
        for c in LineSequence.objects.select_for_update().filter(line_id__in=wanted).order_by("pk")
    }
    taken = []
    for line_id in line_ids:
        counters[line_id].last += 1
        taken.append(counters[line_id].last)
    LineSequence.objects.bulk_update(counters.values(), ["last"])
    return taken


def _queue_delivery() -> None:
    from ..tasks import deliver_due  # tasks import the services

    try:
        deliver_due.delay()
    except Exception:  # broker down: the periodic run delivers them
        logger.warning("Could not queue webhook delivery; the periodic run will", exc_info=True)
