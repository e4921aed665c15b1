from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .registry import Channel


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Notification(models.Model):
    """One outbox row: one event told to one recipient on one channel.

    The content is rendered when the event happens, in the recipient's language and time
    zone, and kept: this row is the record of what we told whom and when (keep 25 months).
    For the inbox channel the row is also the message the borrower reads.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    # A registered event and its category (notifications.registry): the apps declare them,
    # so the database keeps the names without a fixed list of choices.
    event = models.CharField(_("event"), max_length=64)
    category = models.CharField(_("category"), max_length=16)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    is_legal_notice = models.BooleanField(_("legal notice"), default=False)
    # What the event is about: content type + primary key, or an explicit key from the caller.
    object_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200)
    context = models.JSONField(_("context"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8)
    address = models.CharField(
        _("sent to"), max_length=254, blank=True, help_text=_("Email address or phone number.")
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    link = models.CharField(_("link"), max_length=255, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    last_queued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    sending_since = models.DateTimeField(_("sending since"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        _("attempts in this round"), default=0, help_text=_("Reset when staff resend.")
    )
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # A later act replaced what this message said (e.g. a correction restored the line a
    # closing notice announced): kept as the record, shown as no longer applying, not unread.
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("resend_notification", _("Can resend a failed notification")),
            ("cancel_notification", _("Can cancel a pending notification")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event", "channel", "dedupe_key"],
                name="notifications_one_row_per_event_object_channel_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="notifications_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=Q(read_at__isnull=True) | Q(channel="inbox"),
                name="notifications_only_inbox_is_read",
            ),
        ]
        indexes = [
            # The header badge: unread inbox rows of one borrower.
            models.Index(
                fields=["recipient"],
                condition=Q(channel="inbox", read_at__isnull=True),
                name="notif_unread_inbox_idx",
            ),
            models.Index(fields=["recipient", "channel", "-created_at"], name="notif_inbox_idx"),
            # The relay: pending rows that are due.
            models.Index(
                fields=["send_after"],
                condition=Q(status="pending"),
                name="notif_pending_due_idx",
            ),
            models.Index(fields=["status", "channel", "-created_at"], name="notif_admin_idx"),
            models.Index(fields=["event", "-created_at"], name="notif_event_idx"),
            models.Index(fields=["object_type", "object_id"], name="notif_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id} ({self.channel}, {self.status})"

    @property
    def excerpt(self) -> str:
        """The first paragraph: what the inbox list shows under the title."""
        return self.body_text.strip().split("\n\n", 1)[0]

    @property
    def is_unread(self) -> bool:
        return self.channel == Channel.INBOX and self.read_at is None


class StaffMessage(Notification):
    """A staff member's own inbox, shown in the admin where staff work."""

    class Meta:
        proxy = True
        verbose_name = _("my message")
        verbose_name_plural = _("my messages")


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    TRANSIENT_ERROR = "transient_error", _("Temporary error, will retry")
    PERMANENT_ERROR = "permanent_error", _("Permanent error")
    UNKNOWN = "unknown", _("Outcome unknown")


class DeliveryAttempt(models.Model):
    """One try at handing a row to the mail server or SMS provider, kept for the record."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=AttemptOutcome.choices, blank=True
    )
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["notification", "started_at", "id"]

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome or '…'}"


class Preference(models.Model):
    """A recipient's choice for one category on one channel. No row = the default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(_("category"), max_length=16)  # a registered category name
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category", "channel"],
                name="notifications_one_preference_per_category_channel",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}/{self.channel}: {self.enabled}"
