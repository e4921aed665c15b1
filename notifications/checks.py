"""System checks: a provider that sends pre-approved SMS templates has a code for every event
that can go by SMS, and for no event that cannot (`manage.py check`, run at deploy and by
`runserver`/the worker's start-up checks), so a missing code fails the deploy instead of a
borrower's SMS at 3 a.m."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

from .registry import registry

EXAMPLE = '{"<event>": "SMS_4711", ...}'


def sms_backend_paths() -> list[str]:
    """Every SMS backend a number can be routed to."""
    return sorted({settings.NOTIFICATIONS_SMS_BACKEND, *settings.NOTIFICATIONS_SMS_ROUTES.values()})


@register(Tags.compatibility)
def check_sms_template_codes(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    sms_events = [spec.name for spec in registry.sms_events()]
    for path in sms_backend_paths():
        try:
            backend = import_string(path)
        except ImportError as exc:
            errors.append(
                Error(f"SMS backend {path!r} cannot be imported: {exc}", id="notifications.E001")
            )
            continue
        if not getattr(backend, "uses_templates", False):
            continue
        setting = backend.template_codes_setting
        codes = getattr(settings, setting, None)
        if not isinstance(codes, dict) or not all(isinstance(code, str) for code in codes.values()):
            errors.append(
                Error(
                    f"{setting} must map event names to template codes.",
                    hint=f"e.g. {setting}='{EXAMPLE}'",
                    id="notifications.E002",
                )
            )
            continue
        missing = [name for name in sms_events if not codes.get(name, "").strip()]
        if missing:
            errors.append(
                Error(
                    f"{path} sends only pre-approved templates, but {setting} has no template "
                    f"code for these SMS events: {', '.join(missing)}.",
                    hint=(
                        f"Add each event's approved template code to {setting} "
                        f"(e.g. '{EXAMPLE}'). The template's parameters are declared with the "
                        "event (sms_params in its app's notices.py); docs/notifications.md "
                        "lists them."
                    ),
                    id="notifications.E003",
                )
            )
        stray = sorted(set(codes) - set(sms_events))
        if stray:
            errors.append(
                Error(
                    f"{setting} names events that do not go by SMS or do not exist: "
                    f"{', '.join(stray)}.",
                    hint="Check the spelling against the events listed in docs/notifications.md.",
                    id="notifications.E004",
                )
            )
    return errors
