"""Turn an event + context into the words a recipient reads, in their language and time zone.

Templates live in files in the declaring app's templates, under the folder its EventSpec
names: `<spec.templates>/<event>/<language>/` with `email_subject.txt`, `email.txt`,
`email.html`, `sms.txt`, `inbox_title.txt`, `inbox.txt` (only the parts of the channels the
event uses). They are Jinja2 templates (`notice_template`), not Django's: a borrower's night
of notices is rendered in one pass, and Jinja renders them several times faster, to the same
bytes Django's engine wrote (how values print and escape, `template_filters`). Text parts
render without HTML escaping, the HTML part with it. The e-mail layout they extend is this
app's `notifications/messages/_email_layout.html`.
"""

import json
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from html import escape as html_escape

import jinja2
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.utils import get_app_template_dirs
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import localize
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

from . import template_filters
from .registry import TEMPLATE_PARTS, Channel, EventSpec

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
def _environment(*, html: bool) -> jinja2.Environment:
    """The notice templates' Jinja environment: the folders Django's template loaders search
    (the site's DIRS, then each app's `templates/`, so the same names), HTML escaping only
    for the HTML part, and only the filters of `template_filters`. Compiled templates are
    kept; they are checked for changes on disk only under DEBUG."""
    dirs = [str(d) for config in settings.TEMPLATES for d in config.get("DIRS", ())]
    dirs += [str(d) for d in get_app_template_dirs("templates")]
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(dirs),
        autoescape=html,  # noqa: S701 - text parts are plain text, never HTML
        undefined=jinja2.ChainableUndefined,
        finalize=_shown_html if html else _shown,
        keep_trailing_newline=True,
        auto_reload=settings.DEBUG,
        cache_size=-1,
    )
    # Django's names and nothing else: a filter or global of Jinja's own that a template
    # names by mistake fails to compile instead of writing something else.
    environment.filters = dict(template_filters.FILTERS)
    environment.globals.clear()
    return environment


def _shown(value) -> str:
    """A value as Django's engine prints `{{ value }}`: a key the context lacks as "", an
    aware datetime in the current time zone, numbers and dates in the current language's
    format (`render_value_in_context`)."""
    if type(value) is str:
        return value
    if isinstance(value, jinja2.Undefined):
        return ""
    return str(localize(template_localtime(value)))


def _shown_html(value):
    """`_shown`, HTML-escaped as Django escapes it (`&quot;` and `&#x27;` for quotes, where
    Jinja's own escaping writes `&#34;` and `&#39;`; Jinja's escaping then leaves it alone);
    text marked safe stays as it is."""
    if type(value) is str:
        return SafeString(html_escape(value))
    if hasattr(value, "__html__"):
        return value
    return SafeString(html_escape(_shown(value)))


@receiver(setting_changed)
def _forget_environments(*, setting, **kwargs) -> None:
    if setting in ("TEMPLATES", "INSTALLED_APPS", "DEBUG"):
        _environment.cache_clear()
    template_filters.forget()


def notice_template(name: str) -> jinja2.Template:
    """One notice template by its name (e.g. "<app>/messages/<event>/en/email.txt"),
    compiled: an `.html` part escapes what it prints, the others do not. Raises
    jinja2.TemplateNotFound, or jinja2.TemplateSyntaxError for a template that is not
    Jinja."""
    return _environment(html=name.endswith(".html")).get_template(name)


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
    """The compiled templates of one channel's parts (`notice_template`)."""
    return {
        part: notice_template(template_name(spec, language, part))
        for part in TEMPLATE_PARTS[channel]
    }


def _render_parts(channel: str, parts: dict, values: dict) -> Rendered:
    if channel == Channel.EMAIL:
        return Rendered(
            subject=_one_line(_text(parts["email_subject.txt"], values)),
            text=_text(parts["email.txt"], values).strip() + "\n",
            html=parts["email.html"].render(values),
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
    text = template.render(values)
    return re.sub(r"\n{3,}", "\n\n", text)  # an empty optional paragraph leaves no gap


def _one_line(text: str) -> str:
    return " ".join(text.split())[:255]


def _squash(text: str) -> str:
    """SMS: one paragraph, no stray whitespace (every character costs)."""
    return " ".join(text.split())
