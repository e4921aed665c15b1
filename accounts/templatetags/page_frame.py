"""The frame every signed-in page shows (base.html), with its navigation rendered once.

The navigation's links are the same on every page but for which one is current and the unread
count: rendering it (twice, the top bar and the tab bar: eight links reversed each time) cost
a borrower's cached page about a tenth of its time.
"""

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

from config.rendered_once import RenderedOnce

register = template.Library()

# Entries differ by language, page family and unread count.
_rendered = RenderedOnce(max_entries=2_000)


@register.simple_tag(takes_context=True)
def nav_links(context):
    """includes/nav_links.html, rendered once per process for each language, URL setup,
    current page family and unread count."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    unread = context.get("unread_notifications")
    key = (
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        match.namespace if match else None,
        match.url_name if match else None,
        unread,
    )
    return _rendered.get(
        key,
        lambda: render_to_string(
            "includes/nav_links.html", {"request": request, "unread_notifications": unread}
        ),
    )
