"""Every registered event, whichever app declares it, has every template it needs, in both
languages, and they render."""

from pathlib import Path

import pytest
from django.apps import apps
from django.template.loader import get_template
from django.utils import timezone

from notifications.engine import links_outside, sms_size
from notifications.registry import TEMPLATE_PARTS, Channel, registry
from notifications.rendering import LANGUAGES, render, template_name, validate_context

CATALOGUE = {spec.name: spec for spec in registry.events()}
CASES = [(event, language) for event in CATALOGUE for language in LANGUAGES]
SITE = "https://recourse.example.com"


@pytest.mark.parametrize(("event", "language"), CASES)
def test_every_template_file_exists(event, language):
    spec = CATALOGUE[event]
    for channel in spec.channels:
        for part in TEMPLATE_PARTS[channel]:
            get_template(template_name(spec, language, part))  # raises if missing


@pytest.mark.parametrize(("event", "language"), CASES)
def test_every_channel_renders_with_the_sample_context(event, language):
    spec = CATALOGUE[event]
    context = validate_context(spec, spec.sample_context)
    for channel in spec.channels:
        rendered = render(
            spec=spec,
            channel=channel,
            context=context,
            language=language,
            time_zone="Asia/Shanghai",
            recipient_name="王芳",
            site_url=SITE,
            link=spec.default_link,
        )
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


def _plain_django(spec, channel, context, language, zone, name, link):
    """The parts as plain Django renders them (the site's engine for the HTML, an engine with
    Django's own filters for the text): what the notice engines must match to the byte."""
    import re
    import zoneinfo

    from django.conf import settings
    from django.template import Context, Engine
    from django.utils import translation

    from notifications.rendering import localise

    text_engine = Engine(
        dirs=[d for config in settings.TEMPLATES for d in config.get("DIRS", ())],
        app_dirs=True,
        autoescape=False,
        libraries={"notifications_format": "notifications.templatetags.notifications_format"},
    )

    def text(part, values):
        found = text_engine.get_template(template_name(spec, language, part))
        return re.sub(r"\n{3,}", "\n\n", found.render(Context(values, autoescape=False)))

    tz = zoneinfo.ZoneInfo(zone)
    with translation.override(language), timezone.override(tz):
        values = localise(context, language)
        values.update(
            recipient_name=name,
            site_url=SITE,
            link_url=SITE + link,
            event=spec.name,
            language=language,
            today=timezone.localdate(timezone=tz),
        )
        if channel == Channel.EMAIL:
            html = get_template(template_name(spec, language, "email.html")).render(values)
            return (
                " ".join(text("email_subject.txt", values).split())[:255],
                text("email.txt", values).strip() + "\n",
                html,
            )
        if channel == Channel.SMS:
            return ("", " ".join(text("sms.txt", values).split()), "")
        return (
            " ".join(text("inbox_title.txt", values).split())[:255],
            text("inbox.txt", values).strip(),
            "",
        )


def test_every_notice_renders_as_plain_django_renders_it():
    """The notice engines (remembered date texts, one compiled template per part) change no
    byte of any event's parts, in any channel, language or zone, rendered many in a batch."""
    from notifications.rendering import RenderJob, render_many

    jobs = []
    for spec in CATALOGUE.values():
        context = validate_context(spec, spec.sample_context)
        for language in LANGUAGES:
            for channel in spec.channels:
                for zone, name in (
                    ("Asia/Shanghai", "王芳"),
                    ("America/Los_Angeles", "<b>Emma</b>"),
                ):
                    jobs.append(
                        RenderJob(spec, channel, context, language, zone, name, spec.default_link)
                    )
    # Twice in one batch and once more: the second render of a part reads remembered texts.
    for rendered in (render_many(jobs + jobs, site_url=SITE), render_many(jobs, site_url=SITE)):
        for job, parts in zip(jobs + jobs, rendered, strict=False):
            expected = _plain_django(
                job.spec,
                job.channel,
                job.context,
                job.language,
                job.time_zone,
                job.recipient_name,
                job.link,
            )
            assert (parts.subject, parts.text, parts.html) == expected, (job.spec.name, job.channel)
