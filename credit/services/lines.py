"""Creating and updating a borrower's line from the core system's terms."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import CreditLine


def _money(value, name: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except Exception as exc:
        raise ValidationError({name: "Enter an amount in CNY, e.g. 20000.00."}) from exc
    if amount < 0:
        raise ValidationError({name: "The amount cannot be negative."})
    return amount


@transaction.atomic
def credit_line_upsert(*, borrower, credit_limit, balance) -> tuple[CreditLine, bool]:
    """Create the borrower's line (active) or update its limit and balance.

    Only the core system's terms change here; the status changes only through decisions.
    """
    credit_limit = _money(credit_limit, "credit_limit")
    balance = _money(balance, "balance")
    line = CreditLine.objects.select_for_update().filter(borrower=borrower).first()
    if line is None:
        line = CreditLine(borrower=borrower, credit_limit=credit_limit, balance=balance)
        line.save()
        return line, True
    if line.credit_limit != credit_limit or line.balance != balance:
        line.credit_limit = credit_limit
        line.balance = balance
        line.save(update_fields=["credit_limit", "balance", "updated_at"])
    return line, False
