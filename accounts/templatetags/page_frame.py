"""The frame every page shows (base.html): its top and bottom, rendered once per process.

The frame reads the same on every page but for the language, who is signed in (a borrower,
staff, nobody, or a borrower who must accept the policies first), which page is current, the
unread count, the CSRF token and the address the language switcher returns to. Rendering it
(a dozen translated strings, the navigation's links reversed in both bars) cost a borrower's
cached page about a sixth of its time; each part is now rendered once for each of those but
the last two, which each request fills in.
"""

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from config.rendered_once import CSRF_SLOT, SLOT, RenderedOnce, fill_csrf

register = template.Library()

# Where the language switcher returns to (the request's own path), filled in per request.
NEXT_SLOT = f"/next-{SLOT}"
_PARTS = {"top": "includes/frame_top.html", "bottom": "includes/frame_bottom.html"}
# Entries differ by language, page family, unread count and who is signed in.
_rendered = RenderedOnce(max_entries=2_000)
_navigation = RenderedOnce(max_entries=2_000)


def _page_key(context) -> tuple:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return (
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        match.namespace if match else None,
        match.url_name if match else None,
        context.get("unread_notifications"),
    )


@register.simple_tag(takes_context=True)
def frame_part(context, name):
    """The frame's top or bottom (includes/frame_<name>.html) for this page and person, with
    this request's CSRF token and path."""
    request = context.get("request")
    user = context.get("user")
    values = {"request": request, "user": user, "gated": context.get("gated")}
    if "unread_notifications" in context:  # a borrower's badge (staff and visitors have none)
        values["unread_notifications"] = context["unread_notifications"]
    if request is None:  # rendered outside a request: nothing to keep or fill in
        return render_to_string(_PARTS[name], values)
    signed_in = bool(user is not None and user.is_authenticated)
    key = (
        name,
        *_page_key(context),
        signed_in,
        signed_in and user.is_staff,
        bool(context.get("gated")),
    )
    html = _rendered.get(
        key,
        lambda: render_to_string(
            _PARTS[name], {**values, "csrf_token": CSRF_SLOT, "next_path": NEXT_SLOT}
        ),
    )
    html = fill_csrf(html, request).replace(NEXT_SLOT, conditional_escape(request.get_full_path()))
    return mark_safe(html)  # noqa: S308 - our templates' output, the path escaped


@register.simple_tag(takes_context=True)
def nav_links(context):
    """includes/nav_links.html, rendered once per process for each language, URL setup,
    current page family and unread count."""
    request = context.get("request")
    unread = context.get("unread_notifications")
    return _navigation.get(
        _page_key(context),
        lambda: render_to_string(
            "includes/nav_links.html", {"request": request, "unread_notifications": unread}
        ),
    )
