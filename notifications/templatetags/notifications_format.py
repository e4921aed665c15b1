"""Filters the message templates use to write amounts the way the glossary says."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def cny(value) -> str:
    """20000 -> '¥20,000.00' (CNY, two decimals, thousands separated)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"
