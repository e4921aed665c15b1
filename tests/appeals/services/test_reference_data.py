"""The holiday calendar the clocks count on, at submission and as edited."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from appeals import services
from appeals.models import (
    AppealStatus,
    CalendarDayKind,
)
from notifications.models import Notification
from tests.appeals import factories as f
from tests.appeals.test_clock import sh

pytestmark = pytest.mark.django_db
S = AppealStatus


def notices(event, **filters):
    return Notification.objects.filter(event=event, channel="inbox", **filters)


# --- the holiday calendar at submission -----------------------------------------------------


def test_submission_counts_the_first_response_on_the_holiday_calendar():
    services.calendar_day_set(day=date(2026, 10, 1), kind=CalendarDayKind.HOLIDAY, name="国庆节")
    services.calendar_day_set(day=date(2026, 10, 2), kind=CalendarDayKind.HOLIDAY, name="国庆节")
    f.agent()
    appeal = f.draft_appeal()
    with time_machine.travel(sh(2026, 9, 30, 10, 0), tick=False):
        appeal = services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    # Wed Sep 30 → Thu/Fri off, weekend → Mon Oct 5, Tue Oct 6.
    assert appeal.first_response_due == sh(2026, 10, 6, 10, 0)
    assert appeal.resolution_due == sh(2026, 10, 15, 10, 0)


def test_the_calendar_refuses_an_unknown_kind_or_no_name():
    with pytest.raises(ValidationError):
        services.calendar_day_set(day=date(2026, 10, 1), kind="party", name="x")
    with pytest.raises(ValidationError):
        services.calendar_day_set(day=date(2026, 10, 1), kind="holiday", name="")
