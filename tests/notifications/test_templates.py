"""Every registered event, whichever app declares it, has every template it needs, in both
languages, and they render."""

import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.template import Library
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from notifications.engine import links_outside, sms_size
from notifications.registry import TEMPLATE_PARTS, Channel, registry
from notifications.rendering import (
    LANGUAGES,
    _environment,
    notice_template,
    render,
    template_name,
    validate_context,
)
from notifications.template_filters import cny

CATALOGUE = {spec.name: spec for spec in registry.events()}
CASES = [(event, language) for event in CATALOGUE for language in LANGUAGES]
SITE = "https://recourse.example.com"


@pytest.mark.parametrize(("event", "language"), CASES)
def test_every_template_file_exists(event, language):
    spec = CATALOGUE[event]
    for channel in spec.channels:
        for part in TEMPLATE_PARTS[channel]:
            notice_template(template_name(spec, language, part))  # raises if missing


def _each_channel(spec, language: str, *, time_zone: str, recipient_name: str):
    """(channel, its rendered parts) for every channel of the event, with its sample context."""
    context = validate_context(spec, spec.sample_context)
    for channel in spec.channels:
        yield (
            channel,
            render(
                spec=spec,
                channel=channel,
                context=context,
                language=language,
                time_zone=time_zone,
                recipient_name=recipient_name,
                site_url=SITE,
                link=spec.default_link,
            ),
        )


@pytest.mark.parametrize(("event", "language"), CASES)
def test_every_channel_renders_with_the_sample_context(event, language):
    spec = CATALOGUE[event]
    for channel, rendered in _each_channel(
        spec, language, time_zone="Asia/Shanghai", recipient_name="王芳"
    ):
        assert rendered.text.strip()
        assert "{{" not in rendered.text and "{%" not in rendered.text
        if channel != Channel.SMS:
            assert rendered.subject.strip()
        if channel == Channel.EMAIL:
            assert "<html" in rendered.html and SITE + spec.default_link in rendered.html
            assert SITE in rendered.text
        if language == "zh-hans":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in rendered.text)


SMS_CASES = [(e, lang) for e, lang in CASES if Channel.SMS in CATALOGUE[e].channels]


@pytest.mark.parametrize(("event", "language"), SMS_CASES)
def test_sms_fits_one_segment_and_links_only_to_the_site(event, language):
    spec = CATALOGUE[event]
    context = validate_context(spec, spec.sample_context)
    text = render(
        spec=spec,
        channel=Channel.SMS,
        context=context,
        language=language,
        time_zone="Asia/Shanghai",
        recipient_name="王芳",
        site_url=SITE,
        link=spec.default_link,
    ).text
    size = sms_size(text)
    assert size.segments == 1, f"{size.units} units in {size.encoding}: {text}"
    assert links_outside(text, site_url=SITE) == []


def test_no_template_folder_without_an_event():
    roots = {spec.templates for spec in CATALOGUE.values()}
    for root in roots:
        folders = {
            p.name
            for config in apps.get_app_configs()
            if (Path(config.path) / "templates" / root).is_dir()
            for p in (Path(config.path) / "templates" / root).iterdir()
            if p.is_dir()
        }
        assert folders == {name for name, spec in CATALOGUE.items() if spec.templates == root}


def test_every_app_that_sends_notices_declared_events():
    assert {"credit", "appeals", "policy", "tips", "staff"} <= {
        spec.category for spec in CATALOGUE.values()
    }


def test_html_escapes_what_the_caller_passed():
    spec = CATALOGUE["appeal.message_received"]
    context = validate_context(
        spec, {"appeal_reference": "A-1", "excerpt": "<script>alert(1)</script>"}
    )
    rendered = render(
        spec=spec,
        channel=Channel.EMAIL,
        context=context,
        language="en",
        time_zone="Asia/Shanghai",
        recipient_name="<b>x</b>",
        site_url=SITE,
        link="/appeals/",
    )
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>alert(1)</script>" in rendered.text  # plain text stays plain


def test_dates_are_shown_in_the_recipients_time_zone():
    spec = CATALOGUE["appeal.submitted"]
    context = validate_context(
        spec,
        {
            "appeal_reference": "A-1",
            "first_response_due": "2026-12-01T10:00:00+00:00",
            "resolution_due": "2026-12-13T10:00:00+00:00",
        },
    )
    for zone, shown in (("Asia/Shanghai", "18:00"), ("Europe/London", "10:00")):
        text = render(
            spec=spec,
            channel=Channel.INBOX,
            context=context,
            language="en",
            time_zone=zone,
            recipient_name="Emma",
            site_url=SITE,
            link="/appeals/",
        ).text
        assert f"Dec. 1, 2026, {shown}" in text
    assert timezone.get_current_timezone_name()  # rendering left the active zone alone


def test_the_docs_list_every_event_and_its_context_keys():
    docs = (Path(__file__).resolve().parents[2] / "docs/notifications.md").read_text()
    for event, spec in CATALOGUE.items():
        row = next((line for line in docs.splitlines() if line.startswith(f"| `{event}`")), "")
        assert row, f"{event} is missing from docs/notifications.md"
        for key in spec.context:
            assert f"`{key}`" in row, f"{event}: context key {key} is not documented"


# --- the notice templates are Jinja, and print what Django's engine printed --------------

NOTICE_TEMPLATES = sorted(
    path.relative_to(Path(config.path) / "templates").as_posix()
    for config in apps.get_app_configs()
    for path in (Path(config.path) / "templates").glob("*/messages/**/*")
    if path.is_file()
)


def test_the_notice_templates_are_found():
    assert "notifications/messages/_email_layout.html" in NOTICE_TEMPLATES
    assert len(NOTICE_TEMPLATES) > 200


@pytest.mark.parametrize("name", NOTICE_TEMPLATES)
def test_every_notice_template_is_jinja(name):
    """Django's syntax (`{% load %}`, `|date:"..."`) does not compile: a template written the
    old way fails here, not at a send."""
    notice_template(name)


def test_django_syntax_is_refused():
    from jinja2 import TemplateSyntaxError

    environment = _environment(html=False)
    for source in ("{% load notifications_format %}x", '{{ due|date:"N j, Y" }}'):
        with pytest.raises(TemplateSyntaxError):
            environment.from_string(source)


def test_filters_of_jinja_that_django_lacks_or_writes_otherwise_are_refused():
    from jinja2 import TemplateAssertionError

    with pytest.raises(TemplateAssertionError, match="No filter named 'default'"):
        _environment(html=False).from_string("{{ x|default('-') }}")


@pytest.mark.parametrize(("event", "language"), CASES)
def test_every_part_renders_and_only_the_html_part_escapes(event, language):
    """Every channel of every event with its sample context, through the notice engine: the
    recipient's name is escaped in the HTML part, as Django escapes, and plain in the text."""
    name = '<b>Emma & "Jo" O\'Neil</b>'
    for channel, rendered in _each_channel(
        CATALOGUE[event], language, time_zone="America/New_York", recipient_name=name
    ):
        if channel == Channel.EMAIL:
            assert "&lt;b&gt;Emma &amp; &quot;Jo&quot; O&#x27;Neil&lt;/b&gt;" in rendered.html
            assert "<b>Emma" not in rendered.html
            assert name in rendered.text
        assert "&lt;" not in rendered.subject + rendered.text  # text parts stay plain


VALUES = {
    "text": "Zhang <Min> & \"Co\" 'x'",
    "safe": mark_safe("<i>kept</i>"),
    "date": date(2026, 12, 28),
    "datetime": datetime(2026, 3, 8, 2, 30, tzinfo=UTC),  # Mar 7 in New York
    "amount": Decimal("1234567.891"),
    "integer": 1234567,
    "fraction": 18.25,
    "none": None,
    "flag": False,
    "items": ["a<b", "c&d"],
    "mapping": {"k": "<v>"},
}
# Django's own `date` filter and the notice engine's `cny`, the filters Django's engine
# ran on the notices.
CNY = Library()
CNY.filter("cny", cny)


def _both(html: bool, variable: str, language: str, zone: str) -> tuple[str, str]:
    from django.template import Context, Engine

    django_source = (
        f"[{{{{ {variable} }}}}]"
        f'[{{{{ {variable}|date:"N j, Y" }}}}][{{{{ {variable}|date }}}}]'
        f"[{{{{ {variable}|cny }}}}]"
        f"[{{% if {variable} %}}yes{{% else %}}no{{% endif %}}]"
    )
    jinja_source = (
        f"[{{{{ {variable} }}}}]"
        f'[{{{{ {variable}|date("N j, Y") }}}}][{{{{ {variable}|date }}}}]'
        f"[{{{{ {variable}|cny }}}}]"
        f"[{{% if {variable} %}}yes{{% else %}}no{{% endif %}}]"
    )
    engine = Engine(autoescape=html)
    engine.template_builtins.append(CNY)
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        want = engine.from_string(django_source).render(Context(dict(VALUES), autoescape=html))
        got = _environment(html=html).from_string(jinja_source).render(dict(VALUES))
    return want, got


@pytest.mark.parametrize("html", [False, True], ids=["text", "html"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
@pytest.mark.parametrize("variable", [*VALUES, "missing"])
def test_a_value_prints_as_djangos_engine_prints_it(variable, zone, language, html):
    """What the notice engine writes for each kind of value a context carries (and a key it
    lacks), printed, filtered and tested, is what Django's engine wrote, to the byte."""
    want, got = _both(html, variable, language, zone)
    assert got == want
