"""Endpoints the lender registers, the outbox of messages, each delivery and its attempts.

A message is written in the transaction of the act it reports (a decision, an appeal's
step) with the next sequence number of its credit line; one delivery per subscribed
endpoint is written with it. Nothing here names a domain model: a line is its id.
"""

import base64
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(
        _("event types"),
        default=list,
        blank=True,
        help_text=_("The event types this endpoint receives; empty means all of them."),
    )
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    previous_secret = models.CharField(_("previous secret"), max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, *, now) -> list[str]:
        """The current secret, and the previous one while its overlap lasts."""
        found = [self.secret]
        if self.previous_secret and (
            self.previous_secret_expires_at is None or self.previous_secret_expires_at > now
        ):
            found.append(self.previous_secret)
        return found


class LineSequence(models.Model):
    """The last sequence number given to a credit line's messages. Its row lock, held until
    the act commits, makes sequence order the order in which a line's acts committed."""

    line_id = models.BigIntegerField(primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("line sequence")

    def __str__(self) -> str:
        return f"line {self.line_id}: {self.last}"


class WebhookMessage(models.Model):
    """One event for the lender, as it will be sent to every endpoint (the outbox)."""

    msg_id = models.CharField(_("message id"), max_length=40, unique=True)
    event_type = models.CharField(_("event type"), max_length=60)
    line_id = models.BigIntegerField(_("credit line"))
    sequence = models.PositiveBigIntegerField(_("sequence in the line"))
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["line_id", "sequence"], name="webhook_line_sequence")
        ]
        indexes = [models.Index(fields=["created_at"], name="webhook_message_created_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} · line {self.line_id} #{self.sequence}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        related_name="deliveries",
        on_delete=models.CASCADE,
        verbose_name=_("endpoint"),
    )
    message = models.ForeignKey(
        WebhookMessage,
        related_name="deliveries",
        on_delete=models.CASCADE,
        verbose_name=_("message"),
    )
    # Copied from the message so the "first pending of its line" query needs no join.
    line_id = models.BigIntegerField()
    sequence = models.PositiveBigIntegerField()
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "line_id", "sequence"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_pending_idx",
            ),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message} → {self.endpoint}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, related_name="attempt_log", on_delete=models.CASCADE
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    response_body = models.TextField(_("response"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("took (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"
