"""The register of notification events and their categories, filled by the apps at start-up.

Each app declares its own events and categories at the end of its `notices.py` (name,
category, channels, legal weight, audience, context keys with sample values, default link,
dedupe rule, where its message templates live); `NotificationsConfig.ready()` imports every
installed app's `notices` module, the way the admin finds each app's `admin.py`. This module
holds the generic parts only: channels, audiences, the staff category every app may use, and
the rules a declaration must keep. Pure data, no ORM.

`notify()` refuses an event that is not registered, and a test renders every registered
event's templates in both languages with its sample context, so a missing template or a
context key the templates need fails CI instead of a send at 3 a.m.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    INBOX = "inbox", _("Messages")


class Audience(models.TextChoices):
    BORROWER = "borrower", _("borrower")
    STAFF = "staff", _("staff")


ALL_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.INBOX)
STAFF_CHANNELS = (Channel.EMAIL, Channel.INBOX)

# Parts each channel's templates are made of (file names under the event's language folder).
TEMPLATE_PARTS: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: ("email_subject.txt", "email.txt", "email.html"),
    Channel.SMS: ("sms.txt",),
    Channel.INBOX: ("inbox_title.txt", "inbox.txt"),
}

# A context key -> (what it means, a sample value the template tests render with).
# Dates are ISO strings, amounts decimal strings; texts may be {"zh-hans": ..., "en": ...}.
ContextKeys = Mapping[str, tuple[str, Any]]


class RegistryError(ValueError):
    """A declaration breaks a rule of the register, or names an event nobody declared."""


@dataclass(frozen=True)
class CategorySpec:
    """What a recipient switches on or off: one group of events on the preferences page."""

    name: str  # stored in Preference.category and Notification.category: never rename
    label: str | Promise
    order: int  # position on the preferences page and in the API
    audience: str = Audience.BORROWER
    # Off until the recipient turns it on (e.g. tips).
    opt_in: bool = False
    # Legal notices of this category always reach the inbox, whatever the preferences say.
    legal_can_be_switched_off: bool = False


@dataclass(frozen=True)
class EventSpec:
    """One kind of message: who gets it, by which channels, with which facts."""

    name: str  # "<app area>.<what happened>", stored in Notification.event
    label: str | Promise
    category: str  # a registered CategorySpec.name
    channels: tuple[str, ...]
    # Where its templates live: "<templates>/<name>/<language>/<part>" in some app's templates.
    templates: str
    # A legal notice (closure, limit cut, appeal decided): see CategorySpec.legal_can_be_...
    legal: bool = False
    audience: str = Audience.BORROWER
    # Keys the templates use; all required unless listed in `optional`.
    context: ContextKeys = field(default_factory=dict)
    optional: tuple[str, ...] = ()
    # Site path the message links to when the caller passes no `link`.
    default_link: str = "/"
    # Every event that can go by SMS declares the parameters of its pre-approved SMS
    # template (mainland providers send templates, not free text): required context keys
    # holding plain text, in the template's order. A provider that sends templates sends
    # these and nothing else; the template code per event is a setting of that provider.
    sms_params: tuple[str, ...] | None = None
    # One message per (recipient, channel, key). The key is the caller's `dedupe_key`, else
    # the `obj`'s content type and pk, else this pattern filled from the context (e.g.
    # "policy:{document}:{version}"); with none of them every call is a new message.
    dedupe: str = ""
    # How the notifications admin links a message back to what it is about (the app that
    # owns the thing builds it, e.g. an appeal's desk page): called with the Notification,
    # returns a path, or "" when there is nothing to link. None: no link.
    admin_link: Callable[[Any], str] | None = None

    @property
    def sample_context(self) -> dict:
        return {key: sample for key, (_meaning, sample) in self.context.items()}

    def dedupe_key_from(self, context: Mapping[str, Any]) -> str:
        return self.dedupe.format_map(context) if self.dedupe else ""


class Registry:
    """Categories and events by name, in the order they were registered."""

    def __init__(self) -> None:
        self._categories: dict[str, CategorySpec] = {}
        self._events: dict[str, EventSpec] = {}

    # --- registering ----------------------------------------------------------------------

    def register_category(self, spec: CategorySpec) -> CategorySpec:
        if spec.name in self._categories:
            raise RegistryError(f"Notification category {spec.name!r} is already registered")
        if spec.audience not in Audience.values:
            raise RegistryError(f"Category {spec.name!r}: unknown audience {spec.audience!r}")
        self._categories[spec.name] = spec
        return spec

    def register(self, spec: EventSpec) -> EventSpec:
        """Add one event. Refuses a second event of the same name and a declaration its
        templates or callers could not honour; the error names the event."""
        if spec.name in self._events:
            raise RegistryError(f"Notification event {spec.name!r} is already registered")
        category = self._categories.get(spec.category)
        if category is None:
            raise RegistryError(
                f"{spec.name}: category {spec.category!r} is not registered "
                "(register the category before its events)"
            )
        if category.audience != spec.audience:
            raise RegistryError(
                f"{spec.name}: a {spec.audience} event in the {category.audience} "
                f"category {category.name!r}"
            )
        unknown = [c for c in spec.channels if c not in Channel.values]
        if not spec.channels or unknown:
            raise RegistryError(f"{spec.name}: channels must be some of {Channel.values}")
        if not spec.templates:
            raise RegistryError(f"{spec.name}: say where its templates live (templates=)")
        stray = [key for key in spec.optional if key not in spec.context]
        if stray:
            raise RegistryError(f"{spec.name}: optional keys not in the context: {stray}")
        used = {name for _text, name, _spec, _conv in string.Formatter().parse(spec.dedupe)}
        used.discard(None)
        required = set(spec.context) - set(spec.optional)
        if used - required:
            raise RegistryError(
                f"{spec.name}: the dedupe rule uses keys that are not required context keys: "
                f"{sorted(used - required)}"
            )
        self._check_sms_params(spec, required)
        self._events[spec.name] = spec
        return spec

    @staticmethod
    def _check_sms_params(spec: EventSpec, required: set[str]) -> None:
        if Channel.SMS not in spec.channels:
            if spec.sms_params is not None:
                raise RegistryError(f"{spec.name}: sms_params declared but SMS is not a channel")
            return
        if spec.sms_params is None:
            raise RegistryError(
                f"{spec.name}: an SMS event declares its SMS template's parameters "
                "(sms_params=, context keys; () when the template takes none)"
            )
        if isinstance(spec.sms_params, str) or len(set(spec.sms_params)) != len(spec.sms_params):
            raise RegistryError(f"{spec.name}: sms_params must be a tuple of distinct keys")
        not_required = [key for key in spec.sms_params if key not in required]
        if not_required:
            raise RegistryError(
                f"{spec.name}: sms_params must be required context keys: {not_required}"
            )
        # A template variable takes one plain text: not a list or a text per language.
        not_text = [key for key in spec.sms_params if not isinstance(spec.context[key][1], str)]
        if not_text:
            raise RegistryError(
                f"{spec.name}: sms_params must hold plain text (a list or a text per "
                f"language cannot fill an SMS template variable): {not_text}"
            )

    # --- reading --------------------------------------------------------------------------

    def event(self, name: str) -> EventSpec:
        try:
            return self._events[str(name)]
        except KeyError:
            raise RegistryError(
                f"Unknown notification event {name!r}: no app registered it "
                "(declare it at the end of the app's notices.py)"
            ) from None

    def category(self, name: str) -> CategorySpec:
        try:
            return self._categories[str(name)]
        except KeyError:
            raise RegistryError(f"Unknown notification category {name!r}") from None

    def events(self) -> tuple[EventSpec, ...]:
        return tuple(self._events.values())

    def categories(self, *, audience: str | None = None) -> tuple[CategorySpec, ...]:
        """Categories in page order; only one audience's when given."""
        found = sorted(self._categories.values(), key=lambda c: (c.order, c.name))
        return tuple(c for c in found if audience is None or c.audience == audience)

    def channels_for_category(self, category: str) -> tuple[Channel, ...]:
        """The channels some event of this category uses (what the preferences page offers)."""
        used = {
            c for spec in self._events.values() if spec.category == category for c in spec.channels
        }
        return tuple(c for c in ALL_CHANNELS if c in used)

    def sms_events(self) -> tuple[EventSpec, ...]:
        """Events that can go by SMS (each needs a template code from a template provider)."""
        return tuple(spec for spec in self._events.values() if Channel.SMS in spec.channels)

    def admin_link(self, notification) -> str:
        """Where the admin links this message back to (its event's `admin_link`), or ""."""
        spec = self._events.get(str(notification.event))
        if spec is None or spec.admin_link is None:
            return ""
        return spec.admin_link(notification) or ""

    def legal_events(self) -> tuple[EventSpec, ...]:
        """Legal notices in page order of their categories."""
        order = {c.name: i for i, c in enumerate(self.categories())}
        legal = [spec for spec in self._events.values() if spec.legal]
        return tuple(sorted(legal, key=lambda spec: order[spec.category]))

    # --- tests ----------------------------------------------------------------------------

    @contextmanager
    def isolated(self) -> Iterator[Registry]:
        """Let a test register its own declarations; whatever it added is gone afterwards."""
        categories, events = dict(self._categories), dict(self._events)
        try:
            yield self
        finally:
            self._categories, self._events = categories, events


registry = Registry()

# Work for staff (an appeal to answer, a batch to approve): generic, any app sends into it.
STAFF_CATEGORY = registry.register_category(
    CategorySpec(
        name="staff",
        label=_("Work assigned to you"),
        order=1000,
        audience=Audience.STAFF,
    )
)

register = registry.register
register_category = registry.register_category
