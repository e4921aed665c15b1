"""The register of events: apps declare, notifications delivers, and names none of them."""

import re
from pathlib import Path

import pytest
from django.core import mail

from notifications.models import Notification
from notifications.registry import (
    STAFF_CATEGORY,
    Audience,
    CategorySpec,
    Channel,
    EventSpec,
    RegistryError,
    registry,
)
from notifications.services import notify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = "testing/messages"
EVENT = "testing.parcel_shipped"

# A test-only app's message templates, written to a folder the site's template loader reads.
PARTS = {
    "email_subject.txt": "{lang}: parcel {{{{ parcel }}}} shipped",
    "email.txt": "{lang}: parcel {{{{ parcel }}}} arrives {{{{ arrives_on|date('Y-m-d') }}}}. "
    "{{{{ link_url }}}}",
    "email.html": '{{% extends "notifications/messages/_email_layout.html" %}}'
    "{{% block heading %}}{lang}: parcel {{{{ parcel }}}}{{% endblock %}}"
    "{{% block content %}}<p>{{{{ parcel }}}}</p>{{% endblock %}}"
    "{{% block action_label %}}Track{{% endblock %}}",
    "sms.txt": "{lang}: parcel {{{{ parcel }}}} shipped",
    "inbox_title.txt": "{lang}: parcel {{{{ parcel }}}} shipped",
    "inbox.txt": "{lang}: 包裹 {{{{ parcel }}}} arrives {{{{ arrives_on|date('Y-m-d') }}}}",
}


def _spec(**changes) -> EventSpec:
    fields = {
        "name": EVENT,
        "label": "Parcel shipped",
        "category": "testing",
        "channels": (Channel.EMAIL, Channel.SMS, Channel.INBOX),
        "templates": TEMPLATES,
        "context": {
            "parcel": ("parcel number", "P-1"),
            "arrives_on": ("expected arrival (ISO date)", "2026-12-02"),
        },
        "default_link": "/parcels/",
        "dedupe": "parcel:{parcel}",
        "sms_params": ("parcel",),
    }
    return EventSpec(**(fields | changes))


@pytest.fixture
def declared(tmp_path, settings):
    """A test-only app that declares one category and one event with its own templates."""
    for language in ("zh-hans", "en"):
        folder = tmp_path / TEMPLATES / EVENT / language
        folder.mkdir(parents=True)
        for part, text in PARTS.items():
            (folder / part).write_text(text.format(lang=language), encoding="utf-8")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    with registry.isolated():
        registry.register_category(CategorySpec(name="testing", label="Parcels", order=99))
        yield registry.register(_spec())
    assert EVENT not in {spec.name for spec in registry.events()}  # gone after the test


def test_a_declared_event_renders_and_is_delivered_end_to_end(
    declared, borrower, sent_sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(recipient=borrower, event=EVENT, context=declared.sample_context)
    assert sorted(r.channel for r in rows) == ["email", "inbox", "sms"]
    assert {r.status for r in Notification.objects.all()} == {"sent"}
    assert [m.subject for m in mail.outbox] == ["zh-hans: parcel P-1 shipped"]
    assert "http://testserver/parcels/" in mail.outbox[0].body
    assert [s.body for s in sent_sms] == ["zh-hans: parcel P-1 shipped"]
    inbox = Notification.objects.get(channel="inbox")
    assert inbox.body_text == "zh-hans: 包裹 P-1 arrives 2026-12-02"
    assert (inbox.event, inbox.category) == (EVENT, "testing")
    # The declared dedupe rule keys it by parcel: the same parcel again is no new message.
    assert notify(recipient=borrower, event=EVENT, context=declared.sample_context) == []
    assert inbox.dedupe_key == "parcel:P-1"


def test_the_preferences_offer_a_declared_category(declared, client, borrower):
    client.force_login(borrower)
    got = client.get("/api/v1/notifications/preferences/").json()["preferences"]
    assert {"category": "testing", "channel": "sms", "enabled": True} in got


def test_registering_an_event_twice_is_refused(declared):
    with pytest.raises(RegistryError, match="testing.parcel_shipped.*already registered"):
        registry.register(_spec(label="Another"))
    with pytest.raises(RegistryError, match="already registered"):
        registry.register_category(CategorySpec(name="testing", label="Again", order=1))
    assert registry.event(EVENT).label == "Parcel shipped"  # the first declaration stands


def test_a_declaration_that_cannot_be_honoured_is_refused(declared):
    with registry.isolated():
        with pytest.raises(RegistryError, match="category 'nowhere' is not registered"):
            registry.register(_spec(name="testing.a", category="nowhere"))
        with pytest.raises(RegistryError, match="staff event in the borrower category"):
            registry.register(_spec(name="testing.b", audience=Audience.STAFF))
        with pytest.raises(RegistryError, match="channels"):
            registry.register(_spec(name="testing.c", channels=("pigeon",)))
        with pytest.raises(RegistryError, match="dedupe rule uses keys"):
            registry.register(_spec(name="testing.d", dedupe="parcel:{colour}"))
        registry.register(
            _spec(
                name="testing.e",
                category=STAFF_CATEGORY.name,
                audience=Audience.STAFF,
                dedupe="",
            )
        )


def test_an_sms_event_declares_its_template_parameters(declared):
    localised = {"zh-hans": "包裹", "en": "parcel"}
    with registry.isolated():
        with pytest.raises(RegistryError, match="testing.a: an SMS event declares its SMS"):
            registry.register(_spec(name="testing.a", sms_params=None))
        with pytest.raises(RegistryError, match=r"required context keys: \['colour'\]"):
            registry.register(_spec(name="testing.b", sms_params=("parcel", "colour")))
        with pytest.raises(RegistryError, match=r"required context keys: \['arrives_on'\]"):
            registry.register(
                _spec(name="testing.c", sms_params=("arrives_on",), optional=("arrives_on",))
            )
        with pytest.raises(RegistryError, match=r"plain text.*\['note'\]"):
            registry.register(
                _spec(
                    name="testing.d",
                    context={"parcel": ("p", "P-1"), "note": ("localised", localised)},
                    sms_params=("note",),
                )
            )
        with pytest.raises(RegistryError, match="SMS is not a channel"):
            registry.register(_spec(name="testing.e", channels=(Channel.EMAIL,)))
        with pytest.raises(RegistryError, match="distinct"):
            registry.register(_spec(name="testing.f", sms_params="parcel"))
        assert registry.register(_spec(name="testing.g", sms_params=())).sms_params == ()


def test_every_sms_event_of_the_apps_declares_plain_text_parameters():
    sms_events = {spec.name: spec.sms_params for spec in registry.sms_events()}
    assert sms_events["credit.closed"] == ("closed_on",)
    assert sms_events["appeal.decided"] == ("appeal_reference",)
    assert all(params is not None for params in sms_events.values())


def test_an_unknown_event_is_refused_and_nothing_is_written(borrower, sent_sms):
    with pytest.raises(RegistryError, match="Unknown notification event 'credit.typo'"):
        notify(recipient=borrower, event="credit.typo", context={}, dedupe_key="k")
    assert not Notification.objects.exists()
    assert mail.outbox == [] and sent_sms == []


# --- notifications names no domain event, link or template ---------------------------------

DOMAIN_EVENTS = {spec.name for spec in registry.events() if spec.templates != TEMPLATES}
FORBIDDEN = [
    (re.compile(r"\b(credit|appeal)\.[a-z_]+\b"), "a credit or appeal event name"),
    (re.compile(r"""["'](credit|appeals):[a-z_-]+"""), "a credit or appeals URL name"),
    (re.compile(r"\b(credit|appeals)/(messages|templates)\b"), "a credit or appeals template"),
    (re.compile(r"admin:(credit|appeals)_"), "a credit or appeals admin URL"),
]


def _engine_sources():
    app = ROOT / "notifications"
    for path in sorted(app.rglob("*")):
        if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts:
            yield path


def test_notifications_names_no_credit_or_appeal_event_link_or_template():
    found = []
    for path in _engine_sources():
        text = path.read_text(encoding="utf-8")
        for pattern, what in FORBIDDEN:
            found += [
                f"{path.relative_to(ROOT)}: {what} {m.group(0)!r}" for m in pattern.finditer(text)
            ]
        found += [
            f"{path.relative_to(ROOT)}: declares the {event} event"
            for event in DOMAIN_EVENTS
            if event in text
        ]
    assert found == []


def test_the_scan_would_catch_a_domain_name():
    text = 'notify(event="appeal.decided", link=reverse("appeals:detail"))'
    assert [what for pattern, what in FORBIDDEN if pattern.search(text)] == [
        "a credit or appeal event name",
        "a credit or appeals URL name",
    ]
