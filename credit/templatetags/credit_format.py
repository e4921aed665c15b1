from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def cny(value) -> str:
    """An amount in yuan as the glossary writes it: ¥20,000.00."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"
