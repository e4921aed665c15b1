"""When a staged decision's staff review is due (pure, no ORM).

Weekends are days off; a calendar with public holidays and make-up working days can be given
as `is_business_day` (the appeals desk registers its holiday calendar with the services).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

REVIEW_BUSINESS_DAYS = 2


def weekday(day: date) -> bool:
    return day.weekday() < 5


def add_business_days(
    start: datetime,
    days: int,
    *,
    zone: ZoneInfo,
    is_business_day: Callable[[date], bool] = weekday,
) -> datetime:
    """`days` business days after `start`, at the same local time; staged on a day off, the
    count starts at 00:00 of the next business day (Saturday + 2 → Wednesday 00:00)."""
    local = start.astimezone(zone)
    day, clock = local.date(), local.time()
    if not is_business_day(day):
        while not is_business_day(day):
            day += timedelta(days=1)
        clock = time.min
    added = 0
    while added < days:
        day += timedelta(days=1)
        if is_business_day(day):
            added += 1
    return datetime.combine(day, clock, tzinfo=zone)
