"""Credit test data: lines through the real service, events as upstream would send them."""

import importlib
import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from credit.models import CreditEvent, CreditLine
from credit.services import credit_line_upsert
from tests.factories import BorrowerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def make_line(
    *, borrower=None, credit_limit="20000.00", balance="0.00", opened_at=None
) -> CreditLine:
    borrower = borrower or BorrowerFactory()
    line, _ = credit_line_upsert(borrower=borrower, credit_limit=credit_limit, balance=balance)
    if opened_at is not None:
        # Opening dates come from the core system's history; set directly for the test.
        CreditLine.objects.filter(pk=line.pk).update(opened_at=opened_at)
        line.refresh_from_db()
    return line


def event(line, kind, occurred_at, source="test", **data) -> CreditEvent:
    return CreditEvent.objects.create(
        line=line,
        source=source,
        external_id=f"{kind}-{next(_ids)}",
        kind=kind,
        occurred_at=occurred_at,
        data=data,
    )


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def repayments(line, *, first_due: date, count: int, late: set[int] = frozenset()):
    """`count` monthly instalments from `first_due`, paid on the due date (or 5 days late)."""
    made = []
    for i in range(count):
        due = _add_months(first_due, i)
        paid = at(due + timedelta(days=5)) if i in late else at(due, 9)
        made.append(
            event(
                line,
                "repayment",
                paid,
                due_date=due.isoformat(),
                paid_at=paid.isoformat(),
                amount="1000.00",
            )
        )
    return made


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def multi_lending(line, *, start: datetime, platforms=("PlatformA", "PlatformB", "PlatformC")):
    """Applications and loans opened at other platforms within a few days."""
    for i, platform in enumerate(platforms):
        when = start + timedelta(days=3 * i)
        event(line, "external_loan_application", when, platform=platform)
        event(
            line,
            "external_loan_opened",
            when + timedelta(hours=2),
            platform=platform,
            loan_id=f"{platform}-L1",
            amount=str(Decimal("5000.00")),
        )


def close_external_loans(
    line, *, when: datetime, platforms=("PlatformA", "PlatformB", "PlatformC")
):
    for i, platform in enumerate(platforms):
        event(
            line,
            "external_loan_closed",
            when + timedelta(hours=i),
            platform=platform,
            loan_id=f"{platform}-L1",
        )


def ensure_reference_data() -> None:
    """Reason codes, v1 scorecard/policy and staff groups, as the migrations create them.

    Transactional tests flush the database when they end, which also removes the rows data
    migrations wrote; tests that run after one call this to get them back (idempotent).
    """
    from django.apps import apps

    from accounts.roles import sync_staff_groups

    migration = importlib.import_module("credit.migrations.0002_v1_reason_codes_scorecard_policy")
    migration.load_v1(apps, None)
    later = importlib.import_module("credit.migrations.0004_advice_true_in_every_state")
    later.forwards(apps, None)
    wordings = importlib.import_module("credit.migrations.0009_reason_wording_v1")
    wordings.first_versions(apps, SimpleNamespace(connection=SimpleNamespace(vendor="none")))
    advice = importlib.import_module("credit.migrations.0013_advice_points_to_what_exists")
    advice.new_versions(apps, None)
    sync_staff_groups()
