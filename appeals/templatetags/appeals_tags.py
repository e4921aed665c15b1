import uuid

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def form_token():
    """A one-time token so the form, sent twice, is answered once (appeals.idempotency)."""
    return format_html('<input type="hidden" name="form_token" value="{}">', uuid.uuid4().hex)
