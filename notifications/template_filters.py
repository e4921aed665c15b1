"""The filters of the notice templates (`notifications.rendering`): `date` and `cny`, each
writing what Django's template engine wrote for the same value.

`date` is remembered: a batch renders the same few calendar days (an effective date, an
appeal deadline, today) in the same format and language for every recipient, and Django's
formatting of a date is the dearest part of a notice's render. Only plain dates are
remembered: a datetime's text depends on its zone, and equal instants in two zones are equal
keys, so those are formatted every time.

A key the context lacks reaches a filter as "" (as Django's engine passes it), and an aware
datetime is first put in the current time zone (Django's `expects_localtime` filters).
"""

from datetime import date as Date
from decimal import Decimal, InvalidOperation

from django.template import defaultfilters
from django.utils import translation
from django.utils.timezone import template_localtime
from jinja2 import Undefined

_FORMATTED: dict[tuple, str] = {}
_LIMIT = 4096


def date(value, arg=None) -> str:
    """`{{ closed_on|date("N j, Y") }}`: Django's `date` filter, in the current language and
    time zone."""
    if type(value) is not Date:
        if isinstance(value, Undefined):
            return ""
        return defaultfilters.date(template_localtime(value), arg)
    key = (value, arg, translation.get_language())
    try:
        return _FORMATTED[key]
    except KeyError:
        pass
    text = defaultfilters.date(value, arg)
    if len(_FORMATTED) >= _LIMIT:
        _FORMATTED.clear()
    _FORMATTED[key] = text
    return text


def cny(value) -> str:
    """`{{ credit_limit|cny }}`: 20000 -> '¥20,000.00' (CNY, two decimals, thousands
    separated); what is not an amount is written as it is."""
    if isinstance(value, Undefined):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


FILTERS = {"date": date, "cny": cny}


def forget() -> None:
    """Settings that change how dates are written (a test's) must not meet an older text."""
    _FORMATTED.clear()
