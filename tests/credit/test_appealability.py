"""One appeal window (settings.APPEAL_WINDOW_DAYS): the deadline the appeal service enforces
is the date the decision's notice prints."""

import pytest
from django.utils import timezone

from accounts.localtime import local_date
from credit.appealability import appeal_until
from notifications.models import Notification
from tests.credit.story import closing_line

pytestmark = pytest.mark.django_db


def _closure_and_its_notice():
    line = closing_line(days_ago=1)
    decision = line.decisions.get()
    notice = Notification.objects.get(
        recipient=line.borrower, event="credit.closure_scheduled", channel="inbox"
    )
    return decision, notice


@pytest.mark.parametrize("days", [60, 30])
def test_changing_the_window_moves_the_enforced_deadline_and_the_printed_date(settings, days):
    settings.APPEAL_WINDOW_DAYS = days
    decision, notice = _closure_and_its_notice()

    enforced = appeal_until(decision, now=timezone.now())
    assert (enforced - decision.created_at).days == days
    assert notice.context["appeal_by"] == local_date(enforced, decision.line.borrower).isoformat()
    assert (
        local_date(enforced, decision.line.borrower)
        - local_date(decision.created_at, decision.line.borrower)
    ).days == days
