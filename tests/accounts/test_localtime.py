from datetime import UTC, datetime
from types import SimpleNamespace

from django.utils import translation

from accounts.localtime import format_local_date, local_date, user_zone

# 20:30 UTC on 31 December is already 1 January in Shanghai, still 31 December in London.
MOMENT = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)


def test_the_day_is_the_one_where_the_person_lives():
    assert local_date(MOMENT, SimpleNamespace(time_zone="Asia/Shanghai")).isoformat() == (
        "2027-01-01"
    )
    assert local_date(MOMENT, SimpleNamespace(time_zone="Europe/London")).isoformat() == (
        "2026-12-31"
    )


def test_a_missing_or_unknown_zone_falls_back_to_the_site_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    for person in (SimpleNamespace(time_zone=""), SimpleNamespace(time_zone="Mars/Olympus")):
        assert str(user_zone(person)) == "Asia/Shanghai"
        assert local_date(MOMENT, person).isoformat() == "2027-01-01"


def test_the_date_is_written_the_way_the_language_writes_it():
    person = SimpleNamespace(time_zone="Asia/Shanghai")
    with translation.override("en"):
        assert format_local_date(MOMENT, person) == "Jan. 1, 2027"
    with translation.override("zh-hans"):
        assert format_local_date(MOMENT, person) == "2027年1月1日"
