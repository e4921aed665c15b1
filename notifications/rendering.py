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
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime

from .registry import TEMPLATE_PARTS, Channel, EventSpec
from .templatetags import notifications_dates

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


@lru_cache(maxsize=2)
def _engine(*, html: bool) -> Engine:
    """The notice templates' engine: the site's folders and tag libraries, HTML escaping only
    for the HTML part, and a `date` filter that remembers what it wrote (a batch shows the
    same few days to every recipient). The text a template gives is the site engine's."""
    from django.template.backends.django import get_installed_libraries

    dirs = [d for config in settings.TEMPLATES for d in config.get("DIRS", ())]
    return Engine(
        dirs=dirs,
        app_dirs=True,
        autoescape=html,
        libraries={
            **get_installed_libraries(),
            "notifications_format": "notifications.templatetags.notifications_format",
        },
        builtins=["notifications.templatetags.notifications_dates"],
    )


@receiver(setting_changed)
def _forget_engines(*, setting, **kwargs) -> None:
    if setting == "TEMPLATES":
        _engine.cache_clear()
    notifications_dates.forget()


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


@dataclass(frozen=True)
class RenderJob:
    """One channel of one notice to render (`render_many`). `context` is validated (typed)."""

    spec: EventSpec
    channel: str
    context: dict
    language: str
    time_zone: str
    recipient_name: str
    link: str


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
    job = RenderJob(spec, channel, context, language, time_zone, recipient_name, link)
    return render_many([job], site_url=site_url)[0]


def render_many(jobs: list[RenderJob], *, site_url: str) -> list[Rendered]:
    """Render many channels' parts, each as `render` would: grouped by event, channel,
    language and time zone, so each group's templates are looked up, and its language and
    zone switched to, once. Returns the parts in the jobs' order."""
    done: list[Rendered | None] = [None] * len(jobs)
    groups: dict[tuple, list[int]] = {}
    for index, job in enumerate(jobs):
        if job.channel not in TEMPLATE_PARTS:
            raise ValueError(f"Unknown channel {job.channel!r}")
        language = job.language if job.language in LANGUAGES else LANGUAGES[0]
        groups.setdefault((job.spec.name, job.channel, language, job.time_zone), []).append(index)
    site = site_url.rstrip("/")
    for (_, channel, language, time_zone), indexes in groups.items():
        spec = jobs[indexes[0]].spec
        zone = _zone(time_zone)
        with translation.override(language), timezone.override(zone):
            today = timezone.localdate(timezone=zone)
            parts = _templates(spec, channel, language)
            for index in indexes:
                job = jobs[index]
                values = localise(job.context, language)
                values.update(
                    recipient_name=job.recipient_name,
                    site_url=site,
                    link_url=site + job.link,
                    event=spec.name,
                    language=language,
                    today=today,
                )
                done[index] = _render_parts(channel, parts, values)
    return done


def _templates(spec: EventSpec, channel: str, language: str) -> dict:
    """The compiled templates of one channel's parts: text parts on the unescaped engine, the
    HTML part on the site's."""
    found = {}
    for part in TEMPLATE_PARTS[channel]:
        name = template_name(spec, language, part)
        html = part.endswith(".html")
        found[part] = _engine(html=html).get_template(name)
    return found


def _render_parts(channel: str, parts: dict, values: dict) -> Rendered:
    if channel == Channel.EMAIL:
        return Rendered(
            subject=_one_line(_text(parts["email_subject.txt"], values)),
            text=_text(parts["email.txt"], values).strip() + "\n",
            html=parts["email.html"].render(Context(values, autoescape=True)),
        )
    if channel == Channel.SMS:
        return Rendered(subject="", text=_squash(_text(parts["sms.txt"], values)))
    return Rendered(
        subject=_one_line(_text(parts["inbox_title.txt"], values)),
        text=_text(parts["inbox.txt"], values).strip(),
    )


def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _text(template, values: dict) -> str:
    text = template.render(Context(values, autoescape=False))
    return re.sub(r"\n{3,}", "\n\n", text)  # an empty optional paragraph leaves no gap


def _one_line(text: str) -> str:
    return " ".join(text.split())[:255]


def _squash(text: str) -> str:
    """SMS: one paragraph, no stray whitespace (every character costs)."""
    return " ".join(text.split())
