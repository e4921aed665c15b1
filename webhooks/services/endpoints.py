"""Endpoints: registering, rotating the secret with an overlap, enabling, replaying."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import registry
from ..models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookMessage, new_secret

ROTATION_OVERLAP = timedelta(hours=24)


@transaction.atomic
def endpoint_create(*, url: str, event_types: Iterable[str] = (), description: str = ""):
    """An endpoint receives the types it names (all when none); each must be registered."""
    event_types = sorted(set(event_types))
    unknown = [t for t in event_types if t not in {e.name for e in registry.all_types()}]
    if unknown:
        raise ValidationError({"event_types": f"Unknown event type(s): {', '.join(unknown)}."})
    endpoint = WebhookEndpoint(url=url, event_types=event_types, description=description)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, overlap: timedelta = ROTATION_OVERLAP, now: datetime | None = None
) -> WebhookEndpoint:
    """A new secret signs from now on; the old one signs too until the overlap ends, so the
    receiver can switch without losing a message."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + overlap
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable again: what is pending is delivered, in order, from the next run."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.failing_since = None
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "failing_since"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now()
    )
    return endpoint


@transaction.atomic
def deliveries_replay(
    *,
    endpoint: WebhookEndpoint,
    deliveries: Iterable[int] = (),
    messages: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Send again the given deliveries, the given messages, or every message of
    [since, until) to this endpoint (writing deliveries for messages it had none of). The
    receiver sees the same `webhook-id` again and can drop what it already has. Returns how
    many were queued."""
    now = timezone.now()
    ids = set(deliveries)
    if messages is not None or since is not None or until is not None:
        chosen = WebhookMessage.objects.all()
        if messages is not None:
            chosen = chosen.filter(pk__in=list(messages))
        if since is not None:
            chosen = chosen.filter(created_at__gte=since)
        if until is not None:
            chosen = chosen.filter(created_at__lt=until)
        messages = chosen
        have = set(
            WebhookDelivery.objects.filter(endpoint=endpoint, message__in=messages).values_list(
                "message_id", flat=True
            )
        )
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    endpoint=endpoint,
                    message=m,
                    line_id=m.line_id,
                    sequence=m.sequence,
                    next_attempt_at=now,
                )
                for m in messages.exclude(pk__in=have)
                if endpoint.wants(m.event_type)
            ]
        )
        ids |= set(
            WebhookDelivery.objects.filter(endpoint=endpoint, message__in=messages).values_list(
                "pk", flat=True
            )
        )
    count = WebhookDelivery.objects.filter(endpoint=endpoint, pk__in=ids).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, first_attempt_at=None
    )
    if count:
        from .outbox import _queue_delivery

        transaction.on_commit(_queue_delivery)
    return count
