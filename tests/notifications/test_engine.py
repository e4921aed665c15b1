"""Pure rules: quiet hours across time zones and DST, backoff, SMS segments."""

import random
from datetime import UTC, datetime, time

import pytest

from notifications.engine import (
    QuietHours,
    links_outside,
    next_allowed_sms_time,
    parse_clock,
    retry_delay,
    sms_size,
)

QUIET = QuietHours(start=time(21), end=time(8))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        # daytime in Shanghai: at once
        ("2026-11-28T10:00:00+08:00", "Asia/Shanghai", "2026-11-28T10:00:00+08:00"),
        # 22:30 in Shanghai: next morning 08:00 Shanghai
        ("2026-11-28T22:30:00+08:00", "Asia/Shanghai", "2026-11-29T08:00:00+08:00"),
        # 03:00 in Shanghai: same morning 08:00
        ("2026-11-29T03:00:00+08:00", "Asia/Shanghai", "2026-11-29T08:00:00+08:00"),
        # exactly 21:00 is quiet, exactly 08:00 is not
        ("2026-11-28T21:00:00+08:00", "Asia/Shanghai", "2026-11-29T08:00:00+08:00"),
        ("2026-11-29T08:00:00+08:00", "Asia/Shanghai", "2026-11-29T08:00:00+08:00"),
        # the same instant is daytime for Shanghai but night in New York
        ("2026-11-28T10:00:00+08:00", "America/New_York", "2026-11-28T08:00:00-05:00"),
        # New York, the night clocks go back (1 Nov 2026): 08:00 EST, not EDT
        ("2026-10-31T23:00:00-04:00", "America/New_York", "2026-11-01T08:00:00-05:00"),
        # London, the night clocks go forward (29 Mar 2026): 08:00 BST
        ("2026-03-28T22:00:00+00:00", "Europe/London", "2026-03-29T08:00:00+01:00"),
    ],
)
def test_sms_waits_for_the_end_of_quiet_hours_in_the_recipients_zone(now, zone, expected):
    assert next_allowed_sms_time(now=_utc(now), time_zone=zone, quiet=QUIET) == _utc(expected)


def test_quiet_hours_ending_inside_a_dst_gap_use_the_first_instant_after_it():
    quiet = QuietHours(start=time(21), end=time(2, 30))  # 02:30 doesn't exist on 8 Mar 2026
    allowed = next_allowed_sms_time(
        now=_utc("2026-03-07T23:00:00-05:00"), time_zone="America/New_York", quiet=quiet
    )
    assert allowed == _utc("2026-03-08T03:30:00-04:00")


def test_quiet_hours_can_be_switched_off_and_must_be_aware():
    off = QuietHours(start=time(0), end=time(0))
    now = _utc("2026-11-28T23:00:00+08:00")
    assert next_allowed_sms_time(now=now, time_zone="Asia/Shanghai", quiet=off) == now
    with pytest.raises(ValueError, match="aware"):
        next_allowed_sms_time(now=datetime(2026, 1, 1), time_zone="Asia/Shanghai", quiet=QUIET)  # noqa: DTZ001


def test_parse_clock():
    assert parse_clock("21:00") == time(21)
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock("9pm")


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(7)
    delays = [
        retry_delay(attempt=n, base_seconds=30, max_seconds=600, rng=rng) for n in (1, 2, 3, 9)
    ]
    assert 15 <= delays[0] <= 30
    assert 30 <= delays[1] <= 60
    assert 60 <= delays[2] <= 120
    assert 300 <= delays[3] <= 600  # capped
    spread = {round(retry_delay(attempt=3, base_seconds=30, max_seconds=600)) for _ in range(20)}
    assert len(spread) > 1  # jitter: many rows don't retry in lockstep


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),  # extension characters cost two septets
        ("€" * 81, "GSM-7", 2),
        ("中" * 70, "UCS-2", 1),
        ("中" * 71, "UCS-2", 2),
        ("a" * 69 + "中", "UCS-2", 1),
        ("¥20,000.00 due", "GSM-7", 1),
    ],
)
def test_sms_segments(text, encoding, segments):
    size = sms_size(text)
    assert (size.encoding, size.segments) == (encoding, segments)


def test_links_outside_the_site_are_found():
    site = "https://recourse.example"
    assert links_outside("see https://recourse.example/credit/", site_url=site) == []
    assert links_outside("see https://bit.ly/x now", site_url=site) == ["https://bit.ly/x"]
