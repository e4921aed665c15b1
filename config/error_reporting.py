"""Optional error reporting to Sentry (set SENTRY_DSN), with personal data scrubbed.

Recourse handles borrowers' names, phone numbers, email addresses and identity numbers; none
of them may leave for a third-party service. So: `send_default_pii` stays off and the SDK's
`data_collection` (which supersedes it) collects no user, cookies, query strings, request
bodies, SQL parameters, task arguments or local variables, only a few harmless headers; and
`scrub_event` runs on every event and breadcrumb before it is sent — it drops the request
body, cookies and query string and the user, and replaces anything that looks like an email
address, a phone number, an identity or card number in every remaining text with a
placeholder. Sentry's own key-based scrubber (passwords, tokens, secrets) runs as well.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)
# Mainland resident identity number (18 characters, the last may be X), before numbers.
IDENTITY = re.compile(r"(?<![\w])\d{17}[\dXx](?!\w)", re.ASCII)
# Runs of digits and separators: a phone number (+8613800001002, 138-0000-1002, 010 6552
# 9988) or a card number when they hold 11+ digits, or 8+ after a "+". Dates, times, amounts
# and ordinary ids are shorter and stay readable.
NUMBER_RUN = re.compile(r"(?<![\w+])\+?\d[\d\s().-]{6,}\d(?!\w)", re.ASCII)


def _number(match: re.Match) -> str:
    found = match.group()
    digits = sum(c.isdigit() for c in found)
    return "[number]" if digits >= 11 or (found.startswith("+") and digits >= 8) else found


REPLACEMENTS = ((EMAIL, "[email]"), (IDENTITY, "[id]"), (NUMBER_RUN, _number))
# Request parts that carry what a borrower sent or who they are.
REQUEST_DROPPED = ("data", "cookies", "query_string", "env")
HEADERS_KEPT = {"content-type", "content-length", "accept", "accept-language", "user-agent"}


DATA_COLLECTION = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "allowlist", "terms": sorted(HEADERS_KEPT)}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "database_query_data": False,
    "queues": False,
    "stack_frame_variables": False,
    "graphql": {"document": False, "variables": False},
    "gen_ai": {"inputs": False, "outputs": False},
}


def scrub_text(text: str) -> str:
    for pattern, placeholder in REPLACEMENTS:
        text = pattern.sub(placeholder, text)
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's `before_send`: the event without personal data (also used for breadcrumbs)."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in REQUEST_DROPPED:
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() in HEADERS_KEPT}
    event.pop("user", None)
    return _scrub(event)


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    return _scrub(crumb)


def error_reporting_init(
    *, dsn: str, environment: str, release: str = "", traces_sample_rate: float = 0.0, **extra
) -> None:
    """Start the Sentry SDK with the Django and Celery integrations (`extra` lets a test give
    its own transport)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        data_collection=DATA_COLLECTION,
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=traces_sample_rate,
        **extra,
    )
