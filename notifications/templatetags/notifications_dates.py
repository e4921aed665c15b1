"""The `date` filter of the notice templates, remembered: a batch renders the same few calendar
days (an effective date, an appeal deadline, today) in the same format and language for every
recipient, and Django's formatting of a date is the dearest part of a notice's render.

A builtin of the notice engines only (`notifications.rendering`), so it replaces Django's
`date` there and nowhere else. Only plain dates are remembered: a datetime's text depends on
its zone, and equal instants in two zones are equal keys, so those go to Django's filter.
"""

from datetime import date as Date

from django import template
from django.template import defaultfilters
from django.utils import translation

register = template.Library()

_FORMATTED: dict[tuple, str] = {}
_LIMIT = 4096


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if type(value) is not Date:
        return defaultfilters.date(value, arg)
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


def forget() -> None:
    """Settings that change how dates are written (a test's) must not meet an older text."""
    _FORMATTED.clear()
