"""Creating and updating lines from the core system's terms."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from credit import services
from credit.models import (
    CreditLine,
    CreditLineStatus,
)

pytestmark = pytest.mark.django_db


def test_upsert_creates_an_active_line_then_updates_its_terms(borrower):
    line, created = services.credit_line_upsert(
        borrower=borrower, credit_limit="20000", balance="150.5"
    )
    assert created and line.status == CreditLineStatus.ACTIVE
    assert line.available == Decimal("19849.50")
    again, created = services.credit_line_upsert(
        borrower=borrower, credit_limit="18000.00", balance="0"
    )
    assert not created and again.pk == line.pk
    assert CreditLine.objects.get().credit_limit == Decimal("18000.00")


@pytest.mark.parametrize(
    ("limit", "balance", "field"),
    [("-1", "0", "credit_limit"), ("abc", "0", "credit_limit"), ("100", "-5", "balance")],
)
def test_upsert_refuses_bad_amounts_and_changes_nothing(borrower, limit, balance, field):
    with pytest.raises(ValidationError) as excinfo:
        services.credit_line_upsert(borrower=borrower, credit_limit=limit, balance=balance)
    assert field in excinfo.value.message_dict
    assert not CreditLine.objects.exists()


def test_the_status_cannot_be_set_directly(borrower):
    line, _ = services.credit_line_upsert(borrower=borrower, credit_limit="100", balance="0")
    with pytest.raises(AttributeError):
        line.status = CreditLineStatus.CLOSED
