"""Reads for the lender's reconciliation: decisions in a stable order after a cursor, and one
line's present state.

The order is (commit_txid, id). PostgreSQL gives ids when rows are written, not when they
commit, so "id > last seen" would skip a decision whose transaction committed after a later
one was read. A page therefore holds only decisions of transactions older than the oldest
one still running (`pg_snapshot_xmin`): nothing can ever be committed before the cursor
again. On SQLite writers take turns, so id order is commit order (commit_txid is 0).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.shortcuts import get_object_or_404

from .models import CreditDecision, CreditLine, DecisionReason

MAX_PAGE = 1000


@dataclass(frozen=True)
class Cursor:
    txid: int
    id: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{self.txid}.{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None) -> Cursor:
        if not value:
            return cls(-1, 0)
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            txid, _, pk = raw.partition(".")
            return cls(int(txid), int(pk))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ValidationError(
                {"after": "Not a cursor this API gave out; start without one."}, code="invalid"
            ) from None


def _visible_below() -> int | None:
    """Every transaction of this database below this id has ended (PostgreSQL); None: no
    limit is needed (SQLite).

    The snapshot comes first, in its own statement: a transaction that got its id before it
    and still runs when this database's backends are read next is counted; one that ended
    in between is visible to the page's query, which comes after. Transactions of other
    databases on the same server (listed in the snapshot too), and autovacuum's (it writes
    statistics, never decisions), do not hold the page back.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        snapshot = cursor.fetchone()[0]
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT backend_xid::text::bigint FROM pg_stat_activity"
            " WHERE datname = current_database() AND backend_xid IS NOT NULL"
            " AND backend_type = 'client backend'"
        )
        running_here = {row[0] for row in cursor.fetchall()}
    _, xmax, in_progress = snapshot.split(":")
    ours = [
        int(xid) for xid in filter(None, in_progress.split(",")) if int(xid) % 2**32 in running_here
    ]
    return min([*ours, int(xmax)])


FIELDS = (
    "id",
    "commit_txid",
    "line_id",
    "line__borrower__customer_id",
    "created_at",
    "trigger",
    "outcome",
    "old_status",
    "new_status",
    "old_limit",
    "new_limit",
    "closing_effective_at",
)


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """What the lender reads of a decision (plain values: a page is a thousand of them)."""

    pk: int
    commit_txid: int
    line_id: int
    customer_id: str
    created_at: datetime
    trigger: str
    outcome: str
    old_status: str
    new_status: str
    old_limit: Decimal
    new_limit: Decimal
    closing_effective_at: datetime | None
    reason_codes: list[str]


def decisions_after(*, after: str | None, limit: int) -> tuple[list[DecisionRow], str]:
    """Up to `limit` decisions after the cursor, and the cursor to ask with next (the same
    one when nothing new can be read yet). Two queries whatever the page size."""
    cursor = Cursor.decode(after)
    query = CreditDecision.objects.filter(
        Q(commit_txid__gt=cursor.txid) | Q(commit_txid=cursor.txid, id__gt=cursor.id)
    )
    horizon = _visible_below()
    if horizon is not None:
        query = query.filter(commit_txid__lt=horizon)
    rows = list(
        query.order_by("commit_txid", "id").values_list(*FIELDS)[: max(1, min(limit, MAX_PAGE))]
    )
    codes: dict[int, list[str]] = {}
    reasons = DecisionReason.objects.filter(decision_id__in=[row[0] for row in rows])
    for decision_id, code in reasons.order_by("decision_id", "rank").values_list(
        "decision_id", "reason_code__code"
    ):
        codes.setdefault(decision_id, []).append(code)
    page = [
        DecisionRow(*row[:3], row[3] or "", *row[4:], reason_codes=codes.get(row[0], []))
        for row in rows
    ]
    if page:
        cursor = Cursor(page[-1].commit_txid, page[-1].pk)
    return page, cursor.encode()


def line_for_customer(customer_id: str) -> CreditLine:
    """The line of the borrower the lender knows as `customer_id` (404 when none)."""
    return get_object_or_404(
        CreditLine.objects.select_related("borrower"), borrower__customer_id=customer_id
    )
