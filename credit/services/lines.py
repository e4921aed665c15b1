"""Creating and updating a borrower's line from the core system's terms."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import CreditLine
from .lender import credit_line_lender_change

logger = logging.getLogger(__name__)


def _money(value, name: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except Exception as exc:
        raise ValidationError({name: "Enter an amount in CNY, e.g. 20000.00."}) from exc
    if amount < 0:
        raise ValidationError({name: "The amount cannot be negative."})
    return amount


@transaction.atomic
def credit_line_upsert(
    *, borrower, credit_limit, balance, status=None, reason_code=None, origin=""
) -> tuple[CreditLine, bool]:
    """Create the borrower's line (active) or update it from the core system's terms.

    The balance is the core system's fact. A new limit or status is a decision with trigger
    `lender` (`credit_line_lender_change`), never a silent overwrite.
    """
    credit_limit = _money(credit_limit, "credit_limit")
    balance = _money(balance, "balance")
    line = CreditLine.objects.select_for_update().filter(borrower=borrower).first()
    if line is None:
        line = CreditLine(borrower=borrower, credit_limit=credit_limit, balance=balance)
        line.save()
        return line, True
    if line.balance != balance:
        line.balance = balance
        line.save(update_fields=["balance", "updated_at"])
    if credit_limit != line.credit_limit or (status and status != line.status):
        credit_line_lender_change(
            line=line,
            credit_limit=credit_limit,
            status=status,
            reason_code=reason_code,
            origin=origin,
        )
        line.refresh_from_db()
    return line, False


@transaction.atomic
def credit_lines_key_customer_set(*, line_ids, key_customer: bool, actor=None) -> int:
    """Mark lines as key customers, or remove the mark (a staff flag that policy segments may
    use). Returns how many lines changed; a line already so marked is left untouched."""
    changed = (
        CreditLine.objects.filter(pk__in=list(line_ids))
        .exclude(key_customer=key_customer)
        .update(key_customer=key_customer, updated_at=timezone.now())
    )
    logger.info(
        "%s set key_customer=%s on %d credit lines",
        getattr(actor, "pk", None),
        key_customer,
        changed,
    )
    return changed
