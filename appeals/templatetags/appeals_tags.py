import uuid

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import get_language

from config.rendered_once import RenderedOnce

register = template.Library()


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def form_token(context):
    """A one-time token so the form, sent twice, is answered once (appeals.idempotency). A
    page rendered to be kept (`appeals.detail_page.page_body`) gets a slot instead, which each
    request fills with a token of its own."""
    value = context.get("form_token_slot") or uuid.uuid4().hex
    return format_html('<input type="hidden" name="form_token" value="{}">', value)


# An empty form field reads the same on every request in a language: its block is rendered
# once per process (the appeal page shows up to three, and rendering a widget through the form
# renderer's templates costs more than the rest of the page's cached request).
_blank_fields = RenderedOnce(max_entries=500)


@register.simple_tag
def field_block(field):
    """The field's block (appeals/includes/field.html). A field of a form not yet sent (no data,
    no errors, no initial value) is rendered once per process, language and wording; any other
    is rendered each time."""
    form = field.form
    if form.is_bound or form.initial or field.initial is not None:
        return render_to_string("appeals/includes/field.html", {"field": field})
    key = (
        type(form),
        field.html_name,
        field.auto_id,
        get_language(),
        str(field.label),
        str(field.help_text),
        # The file input carries the size cap, read from the settings when it is rendered.
        settings.APPEAL_EVIDENCE_MAX_BYTES,
    )
    return _blank_fields.get(
        key, lambda: render_to_string("appeals/includes/field.html", {"field": field})
    )
