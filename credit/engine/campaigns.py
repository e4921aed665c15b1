"""What a policy campaign does to one line, and what lifting it restores (pure, no ORM).

A campaign acts only on lines whose status its action can be undone from exactly: a freeze
or a reduction on active lines, a closure on active or paused lines, a lift on paused or
closing lines. Any other line is skipped and counted as such in the preview.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .decide import Plan, reduced_limit

FREEZE = "freeze"
REDUCE = "reduce"
CLOSE = "close"
LIFT = "lift"

# The line statuses each action applies to.
ACTION_SOURCES = {
    FREEZE: ("active",),
    REDUCE: ("active",),
    CLOSE: ("active", "frozen"),
    LIFT: ("frozen", "closing"),
}
ACTION_OUTCOME = {
    FREEZE: "freeze",
    REDUCE: "reduce_limit",
    CLOSE: "schedule_closure",
    LIFT: "reinstate",
}
SKIPPED = "skipped"

# Tenure bands shown in a campaign's preview, by whole months since the line opened.
TENURE_BANDS = ((0, "under_6_months"), (6, "6_to_24_months"), (24, "24_months_or_more"))


@dataclass(frozen=True, slots=True)
class CampaignAction:
    action: str
    reduce_percent: int | None = None
    notice_days: int = 0


def preview_outcome(action: str, status: str) -> str:
    """The outcome a line in `status` would get, or SKIPPED."""
    return ACTION_OUTCOME[action] if status in ACTION_SOURCES[action] else SKIPPED


def campaign_plan(spec: CampaignAction, *, status: str, credit_limit: Decimal) -> Plan | None:
    """The change the campaign makes to a line, or None when the line is skipped."""
    if status not in ACTION_SOURCES[spec.action]:
        return None
    if spec.action == FREEZE:
        return Plan("freeze", "frozen", credit_limit)
    if spec.action == REDUCE:
        new_limit = reduced_limit(credit_limit, Decimal(spec.reduce_percent or 0) / 100)
        if new_limit >= credit_limit:
            return None  # nothing left to reduce
        return Plan("reduce_limit", "active", new_limit)
    if spec.action == CLOSE:
        return Plan("schedule_closure", "closing", credit_limit, spec.notice_days)
    return Plan("reinstate", "active", credit_limit)


def restore_plan(
    *, old_status: str, old_limit: Decimal, status: str, credit_limit: Decimal
) -> Plan | None:
    """What puts a line back where it was before a decision that is undone (a campaign lifted,
    a system error corrected), given nothing decided it since: an active line gets its status
    and limit back; a paused line that a closure moved on is paused again. None when there
    is nothing to restore or no way back (a paused line already closed stays for a person)."""
    if old_status == "active":
        if status in ("frozen", "closing", "closed"):
            return Plan("reinstate", "active", max(old_limit, credit_limit))
        if status == "active" and old_limit > credit_limit:
            return Plan("reinstate", "active", old_limit)
        return None
    if old_status == "frozen" and status == "closing":
        return Plan("freeze", "frozen", credit_limit)
    return None


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day at most)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def tenure_band(opened_at: datetime, now: datetime) -> str:
    """The preview's tenure band of a line opened at `opened_at`."""
    band = TENURE_BANDS[0][1]
    for lower, name in TENURE_BANDS:
        if opened_at <= months_before(now, lower):
            band = name
    return band
