"""A line's feature state: the facts of its events that can still change a feature, folded in
as events arrive, and the next moment one of its features changes by the clock alone (an
application ageing out of its 30/60/90-day window, an instalment falling due, a month more of
account age). No ORM here.

The state is a list of (kind, occurred_at, data) in the order `compute_features` reads events,
holding only what `compute_features` uses, so `compute_features` over the state gives the very
features it gives over every event, at the time of the fold or any later time:
- the latest report of each instalment (by due date) wins, so earlier reports are dropped;
- an application older than 90 days, or an overdue report older than a year, counts nowhere;
- only the latest valid bureau score, the latest valid income and the latest identity expiry
  count;
- loans opened and closed elsewhere are kept (they pair up by platform and loan id);
- events dated after the fold are kept as they are until their time comes.
"""

from __future__ import annotations

import contextlib
import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from .features import (
    APPLICATION_WEIGHTS,
    DAYS_PER_MONTH,
    OVERDUE_WINDOW,
    REPAYMENT_WINDOW,
    Features,
    _date_from_text,
    _datetime_from_text,
    _decimal,
    _end_of_date,
    _next_midnight,
    _parse_date,
    _parse_datetime,
)

Fact = tuple[str, datetime, dict]

APPLICATION_LIMITS = tuple(limit for limit, _ in APPLICATION_WEIGHTS)
OPENED_LIMITS = (timedelta(days=30), timedelta(days=90))
_OVERDUE_LIMITS = (OVERDUE_WINDOW,)
# The keys of each kind's data that `compute_features` reads (the rest is not kept).
KEPT_DATA = {
    "repayment": ("due_date", "paid_at"),
    "external_loan_application": (),
    "external_loan_opened": ("platform", "loan_id", "amount"),
    "external_loan_closed": ("platform", "loan_id"),
    "external_overdue": ("days_past_due",),
    "bureau_score": ("score",),
    "income_verified": ("monthly_income",),
    "identity_expired": (),
}
# Kinds of which only the latest (valid) event counts.
_LATEST_ONLY = ("bureau_score", "income_verified", "identity_expired")


def _trimmed(kind: str, data) -> dict:
    data = data or {}
    return {key: data[key] for key in KEPT_DATA[kind] if key in data}


def _valid_latest(kind: str, data: dict) -> bool:
    """Whether an event of a latest-only kind counts at all (as `compute_features` reads it)."""
    if kind == "bureau_score":
        with contextlib.suppress(KeyError, TypeError, ValueError):
            int(data["score"])
            return True
        return False
    if kind == "income_verified":
        income = _decimal(data.get("monthly_income"))
        return income is not None and income > 0
    return True


def fold(state: Sequence[Fact], events: Iterable[Fact], *, as_of: datetime) -> list[Fact]:
    """The state with `events` added, pruned of what can no longer count at `as_of` or later."""
    merged = [*state, *((k, at, _trimmed(k, d)) for k, at, d in events if k in KEPT_DATA)]
    # The order `compute_features` reads them in (a stable sort: equal times keep arrival order).
    merged.sort(key=lambda fact: fact[1])
    keep = [True] * len(merged)
    latest_by_due: dict[object, int] = {}
    latest_of_kind: dict[str, int] = {}
    for index, (kind, occurred_at, data) in enumerate(merged):
        if occurred_at > as_of:
            continue  # not yet happened: kept as it is
        age = as_of - occurred_at
        if kind == "repayment":
            due = _parse_date(data.get("due_date"))
            if due is None:
                keep[index] = False
                continue
            if due in latest_by_due:
                keep[latest_by_due[due]] = False
            latest_by_due[due] = index
        elif kind == "external_loan_application":
            keep[index] = age <= APPLICATION_LIMITS[-1]
        elif kind == "external_overdue":
            keep[index] = age <= OVERDUE_WINDOW
        elif kind in _LATEST_ONLY:
            if not _valid_latest(kind, data):
                keep[index] = False
                continue
            if kind in latest_of_kind:
                keep[latest_of_kind[kind]] = False
            latest_of_kind[kind] = index
    return [fact for fact, kept in zip(merged, keep, strict=True) if kept]


def next_change(
    state: Sequence[Fact],
    *,
    opened_at: datetime,
    features: Features | Mapping,
    as_of: datetime,
    month_edges: Mapping[str, Sequence[int]] | None = None,
) -> datetime:
    """The earliest moment at or after `as_of` when a feature computed from `state` may differ
    from `features` (computed at `as_of`) with no new event: the line's next look. Early rather
    than late: a look that finds nothing changed costs a little; a missed one, a wrong decision.
    A line with nothing ahead is looked at again in a year.

    `month_edges` (`month_edges` of the rules in force), when given: for each month count
    (account age, clean repayment), the whole-month values at which some rule reads it
    differently; a month count that reaches none of them is no reason for a look (a line
    aged 30 months is scored as at 31 by rules that only ask for 24). Without it every month
    boundary is a look."""
    # The earliest date ahead (or now) among the candidates, kept as they come (the first of
    # equal instants wins, as `min` would pick it): every scored line passes here every night.
    ahead = as_of + REPAYMENT_WINDOW
    last_late: datetime | None = None
    unpaid_late = False
    latest_by_due: dict[object, datetime | None] = {}
    for kind, occurred_at, data in state:
        if occurred_at > as_of:
            if occurred_at < ahead:
                ahead = occurred_at
            continue
        if kind == "repayment":
            due = data.get("due_date")
            due = _date_from_text(due) if type(due) is str else _parse_date(due)
            if due is not None:
                paid_at = data.get("paid_at")
                latest_by_due[due] = (
                    _datetime_from_text(paid_at)
                    if type(paid_at) is str and paid_at
                    else _parse_datetime(paid_at)
                )
            continue
        if kind == "external_loan_application":
            limits = APPLICATION_LIMITS
        elif kind == "external_loan_opened":
            limits = OPENED_LIMITS
        elif kind == "external_overdue":
            limits = _OVERDUE_LIMITS
        else:
            continue
        for limit in limits:
            at = occurred_at + limit
            if as_of <= at < ahead:
                ahead = at
    for due, paid_at in latest_by_due.items():
        deadline = _end_of_date(due) if type(due) is date else _next_midnight(due)
        if as_of <= deadline < ahead:
            ahead = deadline
        at = deadline + REPAYMENT_WINDOW
        if as_of <= at < ahead:
            ahead = at
        if paid_at is not None and paid_at > as_of and paid_at < ahead:
            ahead = paid_at
        if deadline <= as_of and (paid_at is None or paid_at >= deadline):
            if paid_at is None or paid_at > as_of:
                unpaid_late = True  # no clean month until it is repaid (a date above)
            else:
                last_late = paid_at if last_late is None else max(last_late, paid_at)
    # Whole months of account age, and of clean repayment since the last late instalment (a
    # month boundary a rounding put just behind `as_of` means: look at the next pass).
    opened = opened_at if opened_at.tzinfo else opened_at.replace(tzinfo=UTC)
    # The two month counts only (not `as_dict`: every scored line passes here every night).
    if isinstance(features, Features):
        age, clean = features.account_age_months, features.clean_repayment_months
    else:
        age, clean = features["account_age_months"], features["clean_repayment_months"]
    # With `month_edges`, only the months where the rules read a count differently.
    months = [(opened, _next_edge(age, month_edges, "account_age_months"))]
    if not unpaid_late:
        clean_since = max(last_late, opened) if last_late is not None else opened
        months.append((clean_since, _next_edge(clean, month_edges, "clean_repayment_months")))
    return max(
        min([ahead, *(_month_after(since, n) for since, n in months if n is not None)]), as_of
    )


def month_edges(card, policy) -> dict[str, tuple[int, ...]]:
    """For each month count, the whole-month values at which the scorecard's bins or the
    policy's conditions (knock-outs, segments) may read it differently from the month before
    (`next_change`): a bin's min or max t (`>= t`, `< t`) and a `gte`/`lt` value turn at
    ceil(t); a `gt`/`lte` value at floor(t) + 1; an `eq`/`ne` value at t and one month after."""
    edges: dict[str, set[int]] = {name: set() for name in MONTH_COUNTS}
    for attribute in card.attributes:
        if attribute.feature in edges:
            for b in attribute.bins:
                edges[attribute.feature].update(
                    math.ceil(v) for v in (b.min, b.max) if v is not None
                )
    conditions = [k.condition for k in policy.knockouts]
    conditions += [c for seg in policy.segments for c in seg.conditions]
    for c in conditions:
        if c.feature not in edges:
            continue
        try:
            value = float(c.value)
        except (TypeError, ValueError):
            return {}  # a value we cannot place: every month is a look (early, not late)
        if c.op in ("gte", "lt"):
            edges[c.feature].add(math.ceil(value))
        elif c.op in ("gt", "lte"):
            edges[c.feature].add(math.floor(value) + 1)
        else:  # eq, ne (and anything new: both sides of the value)
            edges[c.feature].update((math.ceil(value), math.floor(value) + 1))
    return {name: tuple(sorted(values)) for name, values in edges.items()}


MONTH_COUNTS = ("account_age_months", "clean_repayment_months")


def _next_edge(months: int, edges: Mapping[str, Sequence[int]] | None, name: str) -> int | None:
    """The month count (less one, as `_month_after` takes it) at which the next look for this
    count falls: the next month without `edges` (or with none given for it), else the next
    edge above `months`; None when no edge is ahead."""
    if not edges or name not in edges:
        return months
    ahead = edges[name]  # ascending (`month_edges`)
    index = bisect_right(ahead, months)
    return ahead[index] - 1 if index < len(ahead) else None


def _month_after(start: datetime, months: int) -> datetime:
    """When the whole months since `start` (now `months`) become `months + 1`, a second early
    (rounding never puts it late)."""
    return start + timedelta(days=(months + 1) * DAYS_PER_MONTH) - timedelta(seconds=1)


def to_json(state: Sequence[Fact]) -> list:
    return [[kind, occurred_at.isoformat(), data] for kind, occurred_at, data in state]


def from_json(value) -> list[Fact]:
    return [(kind, datetime.fromisoformat(at), data) for kind, at, data in value or ()]
