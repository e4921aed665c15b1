"""Helpers for ingestion tests: borrowers with lines (through the real services) and events."""

from decimal import Decimal

from credit.services import credit_line_upsert
from tests.factories import BorrowerFactory


def borrower_with_line(**kwargs):
    borrower = BorrowerFactory(**kwargs)
    credit_line_upsert(borrower=borrower, credit_limit=Decimal("20000.00"), balance=Decimal("0"))
    return borrower


DATA_BY_KIND = {
    "repayment": {
        "due_date": "2026-03-10",
        "paid_at": "2026-03-10T09:30:00+08:00",
        "amount": "1250.00",
    },
    "external_overdue": {"days_past_due": 12, "amount": "800.5", "platform": "QuickLoan"},
    "external_loan_application": {"platform": "QuickLoan"},
    "external_loan_opened": {"platform": "QuickLoan", "loan_id": "QL-1", "amount": "3000"},
    "external_loan_closed": {"platform": "QuickLoan", "loan_id": "QL-1"},
    "bureau_score": {"score": 712},
    "income_verified": {"monthly_income": "15000.00"},
    "identity_expired": {},
}


def event(customer_id, external_id="ev-1", kind="repayment", **overrides):
    item = {
        "source": "core",
        "external_id": external_id,
        "customer_id": customer_id,
        "kind": kind,
        "occurred_at": "2026-03-10T09:30:00+08:00",
        "data": dict(DATA_BY_KIND[kind]),
    }
    item.update(overrides)
    return item
