"""What hangs off an appeal: its transition log, evidence, message thread and survey."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .appeal import Appeal, AppealStatus


class AppealTransition(models.Model):
    """Every change of an appeal's state: who, when, from, to, and the comment given."""

    appeal = models.ForeignKey(Appeal, related_name="transitions", on_delete=models.CASCADE)
    from_status = models.CharField(_("from"), max_length=24, choices=AppealStatus.choices)
    to_status = models.CharField(_("to"), max_length=24, choices=AppealStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("appeal transition")
        verbose_name_plural = _("appeal transitions")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["appeal", "at"], name="appeal_transition_idx")]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Evidence(models.Model):
    """A supporting document, stored under PRIVATE_MEDIA_ROOT with a random file name."""

    appeal = models.ForeignKey(Appeal, related_name="evidence", on_delete=models.CASCADE)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(_("stored as"), max_length=200, unique=True)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["appeal", "uploaded_at"], name="appeal_evidence_idx")]

    def __str__(self) -> str:
        return self.original_name


class MessageKind(models.TextChoices):
    BORROWER = "borrower", _("From the borrower")
    STAFF_PUBLIC = "staff_public", _("Reply from our team")
    INTERNAL = "internal", _("Internal note")


class Message(models.Model):
    """One entry of the thread. Internal notes are for staff only, in every channel."""

    appeal = models.ForeignKey(Appeal, related_name="messages", on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["appeal", "kind", "created_at"], name="appeal_message_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.appeal_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind == MessageKind.INTERNAL


class Survey(models.Model):
    appeal = models.OneToOneField(Appeal, related_name="survey", on_delete=models.CASCADE)
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="appeal_survey_rating_1_to_5"
            ),
        ]
        # The appeals report: answers of a date range.
        indexes = [models.Index(fields=["submitted_at"], name="appeal_survey_answered_idx")]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.rating}"
