"""Dates in a person's own time zone: the one rule every page and message uses.

A person whose time zone is missing or unknown sees the site's zone (settings.TIME_ZONE),
never UTC by accident.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django.utils import formats, timezone


def user_zone(user) -> zoneinfo.ZoneInfo:
    """The zone `user` lives in, or the site's default zone."""
    name = getattr(user, "time_zone", None) or ""
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def local_date(moment: datetime, user) -> date:
    """The calendar day `moment` falls on where `user` lives."""
    return timezone.localtime(moment, user_zone(user)).date()


def format_local_date(moment: datetime, user) -> str:
    """`moment` as a date written the way the active language writes dates, in `user`'s zone."""
    return formats.date_format(timezone.localtime(moment, user_zone(user)), "DATE_FORMAT")
