"""The SLA clock, pure: business days across weekends, holidays, make-up working days,
pauses, time zones and DST, and the extension steps."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from appeals import clock

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
CAL = clock.BusinessCalendar.build("Asia/Shanghai")
# 2026 National Day: Oct 1–7 off, Sunday Sep 27 and Saturday Oct 10 worked instead.
NATIONAL_DAY = clock.BusinessCalendar.build(
    "Asia/Shanghai",
    holidays=[date(2026, 10, d) for d in range(1, 8)],
    workdays=[date(2026, 9, 27), date(2026, 10, 10)],
)


def sh(*args):
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (sh(2026, 11, 23, 10, 0), sh(2026, 11, 25, 10, 0)),  # Monday → Wednesday
        (sh(2026, 11, 26, 15, 30), sh(2026, 11, 30, 15, 30)),  # Thursday → Monday
        (sh(2026, 11, 27, 9, 0), sh(2026, 12, 1, 9, 0)),  # Friday → Tuesday
        (sh(2026, 11, 28, 14, 0), sh(2026, 12, 2, 0, 0)),  # Saturday: from Monday 00:00
        (sh(2026, 11, 29, 23, 59), sh(2026, 12, 2, 0, 0)),  # Sunday night too
    ],
)
def test_first_response_is_two_business_days_skipping_weekends(submitted, due):
    assert clock.add_business_days(submitted, 2, CAL) == due


def test_holidays_are_skipped_and_make_up_working_days_count():
    # Wednesday Sep 30 → Oct 1–7 off → Thursday Oct 8 is day 1, Friday Oct 9 is day 2.
    assert clock.add_business_days(sh(2026, 9, 30, 11, 0), 2, NATIONAL_DAY) == sh(
        2026, 10, 9, 11, 0
    )
    # Friday Sep 25 → Sunday Sep 27 is worked (day 1) → Monday Sep 28 (day 2).
    assert clock.add_business_days(sh(2026, 9, 25, 11, 0), 2, NATIONAL_DAY) == sh(
        2026, 9, 28, 11, 0
    )
    # Submitted on a holiday: counting starts on the next business day.
    assert clock.add_business_days(sh(2026, 10, 3, 11, 0), 1, NATIONAL_DAY) == sh(2026, 10, 9, 0, 0)


def test_the_day_is_the_calendars_day_whatever_the_zone_of_the_instant():
    # Friday 23:30 in Shanghai is Friday 10:30 in New York; the Shanghai desk calls it Friday.
    instant = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
    assert clock.add_business_days(instant, 2, CAL) == sh(2026, 12, 1, 23, 30)
    # A New York desk: same instant is Friday 10:30 there.
    ny = clock.BusinessCalendar.build("America/New_York")
    assert clock.add_business_days(instant, 2, ny) == datetime(2026, 12, 1, 10, 30, tzinfo=NY)


def test_a_dst_change_keeps_the_local_time_of_day():
    ny = clock.BusinessCalendar.build("America/New_York")
    # Friday Oct 30 2026, 09:00 EDT; clocks go back on Sunday Nov 1.
    due = clock.add_business_days(datetime(2026, 10, 30, 9, 0, tzinfo=NY), 2, ny)
    assert due == datetime(2026, 11, 3, 9, 0, tzinfo=NY)
    assert due.utcoffset() == timedelta(hours=-5)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        clock.add_business_days(datetime(2026, 11, 23, 10, 0), 2, CAL)  # noqa: DTZ001


def test_resolution_is_fifteen_calendar_days():
    submitted = sh(2026, 9, 30, 11, 0)
    due = clock.due_dates(submitted, NATIONAL_DAY)
    assert due.resolution_due == sh(2026, 10, 15, 11, 0)  # holidays don't stretch it
    assert due.first_response_due == sh(2026, 10, 9, 11, 0)


def test_business_time_between_counts_only_business_days():
    # Friday 18:00 → Monday 06:00: 6 h of Friday + 6 h of Monday.
    assert clock.business_time_between(
        sh(2026, 11, 27, 18, 0), sh(2026, 11, 30, 6, 0), CAL
    ) == timedelta(hours=12)
    assert clock.business_time_between(sh(2026, 11, 28), sh(2026, 11, 29), CAL) == timedelta(0)
    assert clock.business_time_between(sh(2026, 11, 30), sh(2026, 11, 27), CAL) == timedelta(0)


def test_a_business_clock_is_pushed_back_by_the_business_time_paused():
    due = sh(2026, 11, 30, 12, 0)  # Monday noon
    # Paused Friday 18:00 → Monday 06:00 = 12 business hours: due Tuesday 00:00.
    resumed = clock.resume_business_clock(
        due, paused_at=sh(2026, 11, 27, 18, 0), resumed_at=sh(2026, 11, 30, 6, 0), calendar=CAL
    )
    assert resumed == sh(2026, 12, 1, 0, 0)
    # Adding business time lands past a weekend.
    assert clock.add_business_time(sh(2026, 11, 27, 20, 0), timedelta(hours=6), CAL) == sh(
        2026, 11, 30, 2, 0
    )


def test_a_calendar_clock_is_pushed_back_by_the_time_paused():
    due = sh(2026, 12, 10, 9, 0)
    resumed = clock.resume_calendar_clock(
        due, paused_at=sh(2026, 12, 1, 9, 0), resumed_at=sh(2026, 12, 4, 21, 0)
    )
    assert resumed == sh(2026, 12, 13, 21, 0)
    assert clock.resume_calendar_clock(due, paused_at=None, resumed_at=sh(2026, 12, 4)) == due


def test_extensions_are_15_to_30_then_plus_30_with_a_supervisor_then_none():
    due = sh(2026, 12, 13, 9, 0)
    first = clock.next_extension(steps_taken=0, resolution_due=due)
    assert (first.step, first.days_added, first.total_days, first.needs_supervisor) == (
        1,
        15,
        30,
        False,
    )
    assert first.resolution_due == sh(2026, 12, 28, 9, 0)
    second = clock.next_extension(steps_taken=1, resolution_due=first.resolution_due)
    assert (second.days_added, second.total_days, second.needs_supervisor) == (30, 60, True)
    with pytest.raises(clock.ExtensionRefused):
        clock.next_extension(steps_taken=2, resolution_due=second.resolution_due)


def test_breaches_only_while_the_clock_runs():
    now = sh(2026, 12, 20, 9, 0)
    late = clock.ClockState(
        status="in_review",
        first_response_due=sh(2026, 12, 2),
        first_responded_at=None,
        resolution_due=sh(2026, 12, 15),
    )
    assert [c for c, _ in clock.breached_clocks(late, now=now)] == ["first_response", "resolution"]
    answered = clock.ClockState("in_review", sh(2026, 12, 2), sh(2026, 12, 1), sh(2026, 12, 25))
    assert clock.breached_clocks(answered, now=now) == []
    paused = clock.ClockState("awaiting_borrower", sh(2026, 12, 2), None, sh(2026, 12, 15))
    assert clock.breached_clocks(paused, now=now) == []
    assert clock.overdue_by(sh(2026, 12, 15), now=now) == timedelta(days=5, hours=9)
    assert clock.overdue_by(sh(2026, 12, 25), now=now) is None
