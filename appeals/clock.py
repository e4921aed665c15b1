"""The staff desk's SLA clocks, as pure functions (no ORM): business days, pauses, extensions.

Rules (docs/appeals.md, "Desk"):
- First response: 2 business days from submission. A business day is a calendar day, in the
  desk's time zone, that is not a Saturday or Sunday nor a public holiday, or that the
  holiday calendar marks as a make-up working day. Submitted on a day off, the count starts
  at the beginning of the next business day.
- Resolution: 15 calendar days from submission (the CBIRC measures count 日, not 工作日),
  extendable to 30, then by 30 more with a supervisor's approval.
- Both clocks stop while the appeal waits for the borrower: on resuming, each due time is
  pushed back by the business time paused (`resume_business_clock`), so a weekend or a
  holiday spent waiting adds nothing. (`resume_calendar_clock` is kept for a clock that
  counts every hour.)

Times are aware datetimes; the calendar says in which zone a day begins and ends, so the same
instant is Friday in Shanghai and Thursday in New York, and the answer follows the calendar.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from . import states

FIRST_RESPONSE_BUSINESS_DAYS = 2
RESOLUTION_DAYS = 15
# Extension steps: the total resolution period after each step, and whether a supervisor
# must approve it. 15 → 30 for a complex case, then 30 → 60 with a supervisor's approval.
EXTENSION_STEPS: tuple[tuple[int, bool], ...] = ((30, False), (60, True))

DAY = timedelta(days=1)


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are worked, in which time zone. `holidays` are days off even on a weekday;
    `workdays` are weekend days worked instead (China's make-up working days)."""

    time_zone: str = "Asia/Shanghai"
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def build(cls, time_zone: str, holidays: Iterable[date] = (), workdays: Iterable[date] = ()):
        return cls(time_zone=time_zone, holidays=frozenset(holidays), workdays=frozenset(workdays))

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def is_business_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("the SLA clock needs aware datetimes")
        return moment.astimezone(self.zone)


WEEKENDS_ONLY = BusinessCalendar()


def _at_local_time(calendar: BusinessCalendar, day: date, clock_time: time) -> datetime:
    # Built from the wall-clock time in the zone, so a DST change keeps "the same time of day".
    return datetime.combine(day, clock_time, tzinfo=calendar.zone)


def add_business_days(start: datetime, days: int, calendar: BusinessCalendar) -> datetime:
    """`days` business days after `start`, at the same local time of day.

    On a day off, the count starts at 00:00 of the next business day (so two business days
    after a Saturday submission is the end of Tuesday: Wednesday 00:00).
    """
    local = calendar.local(start)
    day, clock_time = local.date(), local.timetz().replace(tzinfo=None)
    if not calendar.is_business_day(day):
        while not calendar.is_business_day(day):
            day += DAY
        clock_time = time.min
    added = 0
    while added < days:
        day += DAY
        if calendar.is_business_day(day):
            added += 1
    return _at_local_time(calendar, day, clock_time)


def business_time_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
    """How much of [start, end) fell on business days (whole days count 24 h of local time)."""
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    local_start, local_end = calendar.local(start), calendar.local(end)
    day = local_start.date()
    while day <= local_end.date():
        if calendar.is_business_day(day):
            begin = max(local_start, calendar.day_start(day))
            finish = min(local_end, calendar.day_start(day + DAY))
            if finish > begin:
                total += finish - begin
        day += DAY
    return total


def add_business_time(start: datetime, amount: timedelta, calendar: BusinessCalendar) -> datetime:
    """`start` moved forward by `amount` of business time, skipping days off."""
    remaining = amount
    moment = calendar.local(start)
    while remaining > timedelta(0):
        day = moment.date()
        next_day = calendar.day_start(day + DAY)
        if not calendar.is_business_day(day):
            moment = next_day
            continue
        room = next_day - moment
        if remaining <= room:
            return moment + remaining
        remaining -= room
        moment = next_day
    return moment


@dataclass(frozen=True, slots=True)
class DueDates:
    first_response_due: datetime
    resolution_due: datetime


def due_dates(submitted_at: datetime, calendar: BusinessCalendar = WEEKENDS_ONLY) -> DueDates:
    """Both due times of an appeal submitted at `submitted_at`."""
    return DueDates(
        first_response_due=add_business_days(submitted_at, FIRST_RESPONSE_BUSINESS_DAYS, calendar),
        resolution_due=submitted_at + timedelta(days=RESOLUTION_DAYS),
    )


def resume_business_clock(
    due: datetime | None,
    *,
    paused_at: datetime | None,
    resumed_at: datetime,
    calendar: BusinessCalendar,
) -> datetime | None:
    """A business-day due time pushed back by the business time spent paused."""
    if due is None or paused_at is None or resumed_at <= paused_at:
        return due
    return add_business_time(due, business_time_between(paused_at, resumed_at, calendar), calendar)


def resume_calendar_clock(
    due: datetime | None, *, paused_at: datetime | None, resumed_at: datetime
) -> datetime | None:
    """A calendar-day due time pushed back by the time spent paused."""
    if due is None or paused_at is None or resumed_at <= paused_at:
        return due
    return due + (resumed_at - paused_at)


# --- extensions ------------------------------------------------------------------------------


class ExtensionRefused(ValueError):
    """No further extension is possible."""


@dataclass(frozen=True, slots=True)
class Extension:
    step: int  # 1 or 2
    days_added: int
    total_days: int
    needs_supervisor: bool
    resolution_due: datetime


def next_extension(*, steps_taken: int, resolution_due: datetime) -> Extension:
    """The next extension after `steps_taken` of them: 15 → 30 days, then 30 → 60 with a
    supervisor's approval; none after that. The due time moves by the days added, so any
    pause already added is kept."""
    if steps_taken >= len(EXTENSION_STEPS):
        raise ExtensionRefused("an appeal can be extended at most twice (to 60 days)")
    before = RESOLUTION_DAYS if steps_taken == 0 else EXTENSION_STEPS[steps_taken - 1][0]
    total, needs_supervisor = EXTENSION_STEPS[steps_taken]
    added = total - before
    return Extension(
        step=steps_taken + 1,
        days_added=added,
        total_days=total,
        needs_supervisor=needs_supervisor,
        resolution_due=resolution_due + timedelta(days=added),
    )


# --- breaches --------------------------------------------------------------------------------

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
SECOND_REVIEW = "second_review"


@dataclass(frozen=True, slots=True)
class ClockState:
    status: str
    first_response_due: datetime | None
    first_responded_at: datetime | None
    resolution_due: datetime | None
    second_review_due: datetime | None = None


# States in which the clocks run (see appeals.states).
RUNNING_STATES = states.RUNNING_STATES


def breached_clocks(state: ClockState, *, now: datetime) -> list[tuple[str, datetime]]:
    """The clocks that ran out: [(clock, due)], first response before resolution; a second
    review has its own clock."""
    if state.status == states.SECOND_REVIEW:
        due = state.second_review_due
        return [(SECOND_REVIEW, due)] if due is not None and due < now else []
    if state.status not in RUNNING_STATES:
        return []
    found = []
    if (
        state.first_responded_at is None
        and state.first_response_due is not None
        and state.first_response_due < now
    ):
        found.append((FIRST_RESPONSE, state.first_response_due))
    if state.resolution_due is not None and state.resolution_due < now:
        found.append((RESOLUTION, state.resolution_due))
    return found


def overdue_by(due: datetime | None, *, now: datetime) -> timedelta | None:
    """How late, or None when not yet due."""
    if due is None or due >= now:
        return None
    return now - due
