"""The one message webhooks sends: supervisors are told when an endpoint is disabled."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.roles import staff_holding
from notifications.registry import STAFF_CATEGORY, STAFF_CHANNELS, Audience, EventSpec, register
from notifications.services import notify

ENDPOINT_DISABLED = "webhooks.endpoint_disabled"

register(
    EventSpec(
        name=ENDPOINT_DISABLED,
        label=_("Webhook endpoint disabled"),
        category=STAFF_CATEGORY.name,
        channels=STAFF_CHANNELS,
        audience=Audience.STAFF,
        templates="webhooks/messages",
        context={
            "endpoint": ("the endpoint's description or URL", "Core banking (production)"),
            "url": ("the endpoint's URL", "https://core.example.com/recourse/webhooks"),
            "reason": ("why it was disabled", "Failing since 2026-11-29 10:00 UTC; last: HTTP 503"),
        },
        default_link="/admin/webhooks/webhookendpoint/",
    )
)


def endpoint_disabled(endpoint) -> None:
    # Staff who may change endpoints (the supervisor role grants it).
    for supervisor in staff_holding("webhooks.change_webhookendpoint"):
        notify(
            recipient=supervisor,
            event=ENDPOINT_DISABLED,
            context={
                "endpoint": str(endpoint),
                "url": endpoint.url,
                "reason": endpoint.disabled_reason,
            },
            dedupe_key=f"endpoint:{endpoint.pk}:{endpoint.disabled_at.isoformat()}",
            link=f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/",
        )
