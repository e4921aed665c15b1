"""The scheduled re-evaluation of a line on the day its decision said it would pass again."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .decisions import CreditDecision
from .lines import CreditLine


class LineRecheck(models.Model):
    """A line to evaluate again on `due_on` (the lender's day), the "by time alone" date of
    the adverse decision that set it. One pending per line: a newer decision replaces it,
    one that restores the line removes it. It runs once (`ran_at`), and `outcome` keeps what
    the run decided ("" when the line stood as it was)."""

    line = models.ForeignKey(
        CreditLine, on_delete=models.CASCADE, related_name="rechecks", verbose_name=_("credit line")
    )
    decision = models.ForeignKey(
        CreditDecision,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("decision that set it"),
    )
    due_on = models.DateField(_("re-evaluate on"))
    ran_at = models.DateTimeField(_("ran"), null=True, blank=True)
    outcome = models.CharField(_("outcome of the run"), max_length=20, blank=True, default="")

    class Meta:
        verbose_name = _("scheduled re-evaluation")
        verbose_name_plural = _("scheduled re-evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=Q(ran_at__isnull=True), name="credit_recheck_one_pending"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(ran_at__isnull=True), name="credit_recheck_due_idx"
            )
        ]

    def __str__(self) -> str:
        return _("Re-evaluation on %(day)s") % {"day": f"{self.due_on:%Y-%m-%d}"}
