"""The thread's clocks: a borrower's answer resumes the review, and both due times move by
the business time the appeal waited (issue 9, fix 2)."""

from datetime import date

import pytest
import time_machine

from appeals import services
from appeals.models import AppealStatus, CalendarDayKind
from tests.appeals import factories as f
from tests.appeals.test_clock import sh

pytestmark = pytest.mark.django_db


def _paused_and_resumed(*, submitted, asked, answered):
    worker = f.agent()
    appeal = f.draft_appeal()
    with time_machine.travel(submitted, tick=False):
        appeal = services.appeal_submit(appeal=appeal, actor=appeal.borrower)
        appeal = services.appeal_start_review(appeal=appeal, actor=worker)
    with time_machine.travel(asked, tick=False):
        appeal = services.appeal_request_info(appeal=appeal, actor=worker, request="请上传证明。")
    before = (appeal.first_response_due, appeal.resolution_due)
    with time_machine.travel(answered, tick=False):
        services.appeal_borrower_message(appeal=appeal, actor=appeal.borrower, body="已上传。")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.IN_REVIEW
    return before, (appeal.first_response_due, appeal.resolution_due)


def test_a_pause_over_a_weekend_moves_the_due_times_by_the_business_time_waited():
    # Submitted Wed Nov 4; asked Fri Nov 6 10:00; answered Mon Nov 9 10:00: three calendar
    # days waited, of which one day of business time (Fri 10:00–24:00 and Mon 00:00–10:00).
    (first_before, resolution_before), (first_after, resolution_after) = _paused_and_resumed(
        submitted=sh(2026, 11, 4, 10, 0),
        asked=sh(2026, 11, 6, 10, 0),
        answered=sh(2026, 11, 9, 10, 0),
    )
    assert resolution_before == sh(2026, 11, 19, 10, 0)  # Thursday
    assert resolution_after == sh(2026, 11, 20, 10, 0)  # Friday: one business day later
    assert first_before == sh(2026, 11, 6, 10, 0)
    assert first_after == sh(2026, 11, 9, 10, 0)  # Fri 10:00 + 1 business day → Mon


def test_a_pause_over_a_holiday_adds_nothing_for_the_holiday():
    services.calendar_day_set(day=date(2026, 11, 4), kind=CalendarDayKind.HOLIDAY, name="假日")
    # Submitted Mon Nov 2; asked Tue Nov 3 10:00; answered Thu Nov 5 10:00 over the holiday
    # on Wed Nov 4: two calendar days waited, one day of business time.
    (_first, resolution_before), (_first_after, resolution_after) = _paused_and_resumed(
        submitted=sh(2026, 11, 2, 10, 0),
        asked=sh(2026, 11, 3, 10, 0),
        answered=sh(2026, 11, 5, 10, 0),
    )
    assert resolution_before == sh(2026, 11, 17, 10, 0)
    assert resolution_after == sh(2026, 11, 18, 10, 0)
