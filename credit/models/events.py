"""Append-only facts upstream systems send about a line, idempotent by (source, external_id)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .lines import CreditLine


class CreditEventKind(models.TextChoices):
    REPAYMENT = "repayment", _("Repayment")
    EXTERNAL_OVERDUE = "external_overdue", _("Overdue at another platform")
    EXTERNAL_LOAN_APPLICATION = "external_loan_application", _("Application at another platform")
    EXTERNAL_LOAN_OPENED = "external_loan_opened", _("Loan opened at another platform")
    EXTERNAL_LOAN_CLOSED = "external_loan_closed", _("Loan closed at another platform")
    BUREAU_SCORE = "bureau_score", _("Credit report score")
    INCOME_VERIFIED = "income_verified", _("Income verified")
    IDENTITY_EXPIRED = "identity_expired", _("Identity document expired")


class CreditEvent(models.Model):
    """A fact an upstream system reported about a line. Append-only; idempotent by source id."""

    # No index of its own: the (line, occurred_at) index below serves every lookup by line
    # (its leading column), and a second one cost ~10% of each ingested batch's INSERT.
    line = models.ForeignKey(
        CreditLine,
        related_name="events",
        on_delete=models.PROTECT,
        verbose_name=_("credit line"),
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=64)
    external_id = models.CharField(_("external ID"), max_length=128)
    kind = models.CharField(_("kind"), max_length=40, choices=CreditEventKind.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    data = models.JSONField(_("data"), default=dict)

    class Meta:
        verbose_name = _("credit event")
        verbose_name_plural = _("credit events")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="credit_event_source_external_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["line", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.source}:{self.external_id}"
