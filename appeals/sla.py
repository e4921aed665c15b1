"""SLA clocks of an appeal, as pure functions (no ORM): the staff desk builds on these.

First response: 2 business days from submission (Saturdays and Sundays skipped; the desk
adds a holiday calendar). Resolution: 15 calendar days from submission. Both clocks stop
while the appeal waits for the borrower: on resuming, the time spent waiting is added.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST_RESPONSE_BUSINESS_DAYS = 2
RESOLUTION_DAYS = 15


@dataclass(frozen=True, slots=True)
class DueDates:
    first_response_due: datetime
    resolution_due: datetime


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` moved forward by `days` weekdays, keeping its time of day.

    Submitted on a weekend, the count starts from the next Monday at the same time.
    """
    moment = start
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    added = 0
    while added < days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            added += 1
    return moment


def due_dates(submitted_at: datetime) -> DueDates:
    return DueDates(
        first_response_due=add_business_days(submitted_at, FIRST_RESPONSE_BUSINESS_DAYS),
        resolution_due=submitted_at + timedelta(days=RESOLUTION_DAYS),
    )


def resume_after_pause(due: datetime | None, *, paused_at: datetime | None, resumed_at: datetime):
    """A due time pushed back by the time the clock was paused (waiting for the borrower)."""
    if due is None or paused_at is None or resumed_at <= paused_at:
        return due
    return due + (resumed_at - paused_at)
