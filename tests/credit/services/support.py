"""What the service tests share: a clean line, one re-evaluation, a line being closed.
(The frozen clock at NOW is the `clock` fixture in tests/credit/conftest.py.)"""

from datetime import date, timedelta

from credit import services
from tests.credit.conftest import NOW
from tests.credit.factories import make_line, multi_lending, repayments


def clean_line(**kw):
    """Ten months of on-time repayments: the v1 scorecard keeps it (score 810)."""
    line = make_line(opened_at=NOW - timedelta(days=320), **kw)
    repayments(line, first_due=date(2025, 2, 10), count=10)
    return line


def reevaluate(line, trigger="event"):
    summary = services.credit_lines_reevaluate(line_ids=[line.pk], trigger=trigger)
    line.refresh_from_db()
    return summary.decisions[0] if summary.decisions else None


def closing_decision():
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    return line, reevaluate(line)
