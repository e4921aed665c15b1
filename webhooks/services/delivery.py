"""Delivering the outbox: at least once, in order per credit line, with backoff.

A delivery is attempted only when it is the first pending one of its line for its endpoint
(a later event waits while an earlier one is retried) and its time has come. Each attempt
runs under the delivery's row lock (`skip_locked`: two workers never send the same row at
once) and is recorded with the answer. A failed final attempt (4xx other than 408/410/429,
or three days of retries) ends the row as failed and lets the line's next event go. A 410
Gone disables the endpoint at once and tells the supervisors; the row stays pending, so
nothing is lost if the endpoint is enabled again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import notices, policy, signing
from ..models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
BODY_KEPT = 2000


@dataclass
class DeliveryRun:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def _heads(now: datetime, queryset=None):
    """Pending deliveries that are due and first in their line for their endpoint."""
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        line_id=OuterRef("line_id"),
        status=DeliveryStatus.PENDING,
        sequence__lt=OuterRef("sequence"),
    )
    queryset = WebhookDelivery.objects.all() if queryset is None else queryset
    return (
        queryset.filter(
            status=DeliveryStatus.PENDING, endpoint__is_active=True, next_attempt_at__lte=now
        )
        .exclude(Exists(earlier))
        .order_by("next_attempt_at", "id")
    )


def deliveries_run_due(*, limit: int = 500, session: requests.Session | None = None) -> DeliveryRun:
    """Attempt every due head, again and again while a line has more, up to `limit` tries."""
    run = DeliveryRun()
    session = session or requests.Session()
    tried = 0
    while tried < limit:
        ids = list(_heads(timezone.now()).values_list("id", flat=True)[: min(100, limit - tried)])
        if not ids:
            break
        for delivery_id in ids:
            tried += 1
            outcome = delivery_attempt(delivery_id=delivery_id, session=session)
            if outcome == DeliveryStatus.DELIVERED:
                run.delivered += 1
            elif outcome == DeliveryStatus.FAILED:
                run.failed += 1
            elif outcome == DeliveryStatus.PENDING:
                run.retrying += 1
    return run


@transaction.atomic
def delivery_attempt(*, delivery_id: int, session: requests.Session | None = None) -> str | None:
    """Send one delivery if it is still due and first in its line; return its status after
    (None when another worker holds it or it is no longer due)."""
    now = timezone.now()
    # The conditions are on the locked row itself (not a subquery on its id), so a row another
    # worker delivered meanwhile is re-checked as it now is, and skipped.
    locking = WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
    delivery = (
        _heads(now, locking.filter(pk=delivery_id)).select_related("endpoint", "message").first()
    )
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = _body(delivery)
    headers = signing.headers(
        msg_id=delivery.message.msg_id,
        body=body,
        secrets=endpoint.signing_secrets(now=now),
        at=now,
    )
    status_code, response_body, error, retry_after = None, "", "", None
    started = time.monotonic()
    try:
        response = (session or requests).post(
            endpoint.url,
            data=body.encode(),
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status_code, response_body = response.status_code, response.text[:BODY_KEPT]
        retry_after = policy.retry_after_seconds(response.headers.get("Retry-After"), now=now)
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:BODY_KEPT]
    WebhookAttempt.objects.create(
        delivery=delivery,
        at=now,
        status_code=status_code,
        response_body=response_body,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    _record(delivery, now=now, status_code=status_code, error=error, retry_after=retry_after)
    return delivery.status


def _body(delivery: WebhookDelivery) -> str:
    import json

    return json.dumps(delivery.message.payload, ensure_ascii=False, separators=(",", ":"))


def _record(delivery, *, now, status_code, error, retry_after) -> None:
    endpoint = delivery.endpoint
    verdict = policy.verdict(status_code)
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.last_status_code = status_code
    delivery.last_error = error
    if verdict.delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
    elif verdict.gone:
        pass  # stays pending and due: sent first when the endpoint is enabled again
    elif verdict.give_up:
        delivery.status = DeliveryStatus.FAILED
    else:
        at = policy.next_attempt_at(
            now=now,
            attempts=delivery.attempts,
            retry_after=retry_after,
            first_attempt_at=delivery.first_attempt_at,
        )
        if at is None:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = (error or f"HTTP {status_code}") + " (gave up after 3 days)"
        else:
            delivery.next_attempt_at = at
    delivery.save(
        update_fields=[
            "attempts",
            "first_attempt_at",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    _endpoint_health(
        endpoint,
        ok=verdict.delivered,
        gone=verdict.gone,
        now=now,
        status_code=status_code,
        error=error,
    )


def _endpoint_health(endpoint: WebhookEndpoint, *, ok, gone, now, status_code, error) -> None:
    """An endpoint that answers nothing but failures for a day, or answers 410 Gone, is
    disabled, and the supervisors are told (the deliveries stay pending for when it is
    enabled again)."""
    if ok and endpoint.failing_since is None:
        return  # the common case, healthy and staying so: no endpoint lock to wait for
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if gone:
        if locked.is_active:
            _disable(locked, now=now, reason="HTTP 410 Gone: the receiver says this URL is gone")
        return
    if ok:
        if locked.failing_since is not None:
            locked.failing_since = None
            locked.save(update_fields=["failing_since"])
        return
    if locked.failing_since is None:
        locked.failing_since = now
        locked.save(update_fields=["failing_since"])
        return
    if locked.is_active and policy.should_disable(failing_since=locked.failing_since, now=now):
        reason = f"Failing since {locked.failing_since:%Y-%m-%d %H:%M} UTC; last: " + (
            f"HTTP {status_code}" if status_code else error
        )
        _disable(locked, now=now, reason=reason)


def _disable(locked: WebhookEndpoint, *, now: datetime, reason: str) -> None:
    locked.is_active = False
    locked.disabled_at = now
    locked.disabled_reason = reason[:300]
    locked.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    logger.warning("Webhook endpoint %s disabled: %s", locked.pk, locked.disabled_reason)
    notices.endpoint_disabled(locked)
