"""Credit lines put into each situation through the real services, for page and API tests."""

from datetime import date, timedelta

import time_machine
from django.utils import timezone

from credit import services
from tests.credit.factories import at, close_external_loans, make_line, multi_lending, repayments


def closing_line(*, borrower=None, days_ago: int = 7):
    """Ten on-time repayments, then multi-lending: closure scheduled `days_ago` days ago."""
    today = timezone.localdate()
    decided = at(today - timedelta(days=days_ago), 12)
    line = make_line(borrower=borrower, credit_limit="20000.00", balance="3000.00")
    repayments(line, first_due=decided.date() - timedelta(days=320), count=10)
    multi_lending(line, start=decided - timedelta(days=14))
    with time_machine.travel(decided, tick=False):
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    line.refresh_from_db()
    return line


def restored_line(*, borrower=None):
    line = closing_line(borrower=borrower, days_ago=10)
    close_external_loans(line, when=at(timezone.localdate() - timedelta(days=3)))
    with time_machine.travel(at(timezone.localdate() - timedelta(days=2)), tick=False):
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    line.refresh_from_db()
    return line


def active_line(*, borrower=None):
    line = make_line(borrower=borrower, credit_limit="15000.00", balance="2500.00")
    repayments(line, first_due=date.today() - timedelta(days=200), count=6)
    return line
