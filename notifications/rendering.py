"""Turn an event + context into the words a recipient reads, in their language and time zone.

Templates live in files in the declaring app's templates, under the folder its EventSpec
names: `<spec.templates>/<event>/<language>/` with `email_subject.txt`, `email.txt`,
`email.html`, `sms.txt`, `inbox_title.txt`, `inbox.txt` (only the parts of the channels the
event uses). Text parts render without HTML escaping,
the HTML part with it. The e-mail layout they extend is this app's
`notifications/messages/_email_layout.html`.
"""

import json
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Context, Engine
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime

from .registry import Channel, EventSpec

LANGUAGES = ("zh-hans", "en")

# How context values are typed, by the key's name: callers pass JSON (strings), templates
# get dates, aware datetimes and Decimals to format in the recipient's locale and zone.
DATE_SUFFIXES = ("_on", "_by")
DATETIME_SUFFIXES = ("_due", "_at")
DATETIME_KEYS = ("due",)
AMOUNT_SUFFIXES = ("_limit",)


class NotificationContextError(ValueError):
    """The caller passed a context the event's templates cannot use."""


@dataclass(frozen=True)
class Rendered:
    subject: str  # email subject or inbox title; empty for SMS
    text: str
    html: str = ""


@lru_cache(maxsize=1)
def _text_engine() -> Engine:
    # The same places as the site's templates (the project's folders and every app's).
    dirs = [d for config in settings.TEMPLATES for d in config.get("DIRS", ())]
    return Engine(
        dirs=dirs,
        app_dirs=True,
        autoescape=False,
        libraries={"notifications_format": "notifications.templatetags.notifications_format"},
    )


@receiver(setting_changed)
def _forget_text_engine(*, setting, **kwargs) -> None:
    if setting == "TEMPLATES":
        _text_engine.cache_clear()


def template_name(spec: EventSpec, language: str, part: str) -> str:
    return f"{spec.templates}/{spec.name}/{language}/{part}"


def validate_context(spec: EventSpec, context: dict) -> dict:
    """The context, checked: JSON-serialisable, every key the templates need, values parse.

    Returns a copy with values typed for the templates. Raises NotificationContextError.
    """
    if not isinstance(context, dict):
        raise NotificationContextError("context must be a dict")
    try:
        json.dumps(context)
    except (TypeError, ValueError) as exc:
        raise NotificationContextError(
            f"context must be JSON-serialisable (amounts as strings, dates ISO): {exc}"
        ) from None
    missing = [k for k in spec.context if k not in context and k not in spec.optional]
    if missing:
        raise NotificationContextError(
            f"{spec.name} needs context keys {', '.join(sorted(missing))}"
        )
    return {key: _typed(key, value) for key, value in context.items()}


def _typed(key: str, value):
    if value is None or value == "":
        return value
    if key.endswith(DATE_SUFFIXES):
        parsed = parse_date(str(value)) if isinstance(value, str) else None
        if parsed is None:
            raise NotificationContextError(f"{key} must be an ISO date (YYYY-MM-DD), got {value!r}")
        return parsed
    if key.endswith(DATETIME_SUFFIXES) or key in DATETIME_KEYS:
        parsed = parse_datetime(str(value)) if isinstance(value, str) else None
        if parsed is None or timezone.is_naive(parsed):
            raise NotificationContextError(
                f"{key} must be an ISO datetime with a UTC offset, got {value!r}"
            )
        return parsed
    if key.endswith(AMOUNT_SUFFIXES):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise NotificationContextError(
                f"{key} must be a decimal amount, got {value!r}"
            ) from None
    return value


def localise(value, language: str):
    """Pick the recipient's language out of {"zh-hans": ..., "en": ...} values, recursively."""
    if isinstance(value, dict):
        if value and set(value) <= set(LANGUAGES):
            return value.get(language) or next(iter(value.values()))
        return {k: localise(v, language) for k, v in value.items()}
    if isinstance(value, list):
        return [localise(v, language) for v in value]
    return value


def render(
    *,
    spec: EventSpec,
    channel: str,
    context: dict,
    language: str,
    time_zone: str,
    recipient_name: str,
    site_url: str,
    link: str,
) -> Rendered:
    """Render one channel's parts. `context` is already validated (typed)."""
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    values = localise(context, language)
    values.update(
        recipient_name=recipient_name,
        site_url=site_url.rstrip("/"),
        link_url=site_url.rstrip("/") + link,
        event=spec.name,
        language=language,
        today=timezone.localdate(timezone=_zone(time_zone)),
    )
    with translation.override(language), timezone.override(_zone(time_zone)):
        if channel == Channel.EMAIL:
            return Rendered(
                subject=_one_line(
                    _text(template_name(spec, language, "email_subject.txt"), values)
                ),
                text=_text(template_name(spec, language, "email.txt"), values).strip() + "\n",
                html=get_template(template_name(spec, language, "email.html")).render(values),
            )
        if channel == Channel.SMS:
            return Rendered(
                subject="", text=_squash(_text(template_name(spec, language, "sms.txt"), values))
            )
        if channel == Channel.INBOX:
            return Rendered(
                subject=_one_line(_text(template_name(spec, language, "inbox_title.txt"), values)),
                text=_text(template_name(spec, language, "inbox.txt"), values).strip(),
            )
    raise ValueError(f"Unknown channel {channel!r}")


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _text(name: str, values: dict) -> str:
    text = _text_engine().get_template(name).render(Context(values, autoescape=False))
    return re.sub(r"\n{3,}", "\n\n", text)  # an empty optional paragraph leaves no gap


def _one_line(text: str) -> str:
    return " ".join(text.split())[:255]


def _squash(text: str) -> str:
    """SMS: one paragraph, no stray whitespace (every character costs)."""
    return " ".join(text.split())
