"""A support request: a plain thread between a borrower and the desk, for whoever cannot (or
need not) appeal. No state machine: it is open until the desk closes it, and a borrower's new
message opens it again."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SupportRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class SupportRequest(models.Model):
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="support_requests",
        verbose_name=_("borrower"),
    )
    subject = models.CharField(_("subject"), max_length=120)
    # The decision it is about, when the borrower wrote from My credit (optional).
    decision = models.ForeignKey(
        "credit.CreditDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decision"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SupportRequestStatus.choices,
        default=SupportRequestStatus.OPEN,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last message"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        permissions = [("answer_supportrequest", "Can reply to and close a support request")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="support_request_closed_at_iff_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="support_desk_idx"),
            models.Index(fields=["borrower", "-updated_at"], name="support_borrower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("appeals:support-detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"S-{self.created_at:%Y}-{self.pk:06d}"


class SupportMessage(models.Model):
    request = models.ForeignKey(SupportRequest, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_staff = models.BooleanField(_("from our team"), default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("support message")
        verbose_name_plural = _("support messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} · {self.created_at:%Y-%m-%d %H:%M}"
