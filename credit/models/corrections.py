"""System-error corrections: the erroneous decisions chosen, each pointing to the correction
that undid it (the decision itself stays, immutable), and the run's progress."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .decisions import CreditDecision
from .lines import CreditLine
from .rules import ReasonCode
from .runs import ChunkedRun


class CorrectionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    # A chunk failed every retry: the run stops where it was until a supervisor retries it.
    FAILED = "failed", _("Failed: a chunk did not run")
    CANCELLED = "cancelled", _("Cancelled")


class SystemCorrection(ChunkedRun):
    """Undoing the decisions a system error caused: chosen by scorecard or policy version,
    time window, trigger, the source of the events behind them, or reason code."""

    decided_from = models.DateTimeField(_("decided from"))
    decided_to = models.DateTimeField(_("decided until"))
    scorecard = models.ForeignKey(
        "credit.Scorecard",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scorecard version"),
    )
    policy = models.ForeignKey(
        "credit.DecisionPolicy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy version"),
    )
    trigger = models.CharField(_("trigger"), max_length=16, blank=True)
    reason_code = models.ForeignKey(
        ReasonCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reason"),
    )
    event_source = models.CharField(
        _("source of the events"),
        max_length=64,
        blank=True,
        help_text=_("Decisions on lines that received events from this source in the window."),
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=CorrectionState.choices,
        default=CorrectionState.DRAFT,
        db_index=True,
    )
    # A failed run: when and why (a retry carries on from the first line still waiting).
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta(ChunkedRun.Meta):
        verbose_name = _("system error correction")
        verbose_name_plural = _("system error corrections")
        ordering = ["-created_at", "-id"]
        permissions = [("run_systemcorrection", "Can run a system error correction")]


class CorrectionLineState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RESTORED = "restored", _("Restored")
    KEPT = "kept", _("Left as it is (changed since)")


class CorrectedDecision(models.Model):
    """The pointer from an erroneous decision (which stays, immutable) to its correction."""

    correction = models.ForeignKey(
        SystemCorrection, on_delete=models.PROTECT, related_name="corrected_decisions"
    )
    decision = models.OneToOneField(
        CreditDecision,
        on_delete=models.PROTECT,
        related_name="correction_entry",
        verbose_name=_("erroneous decision"),
    )
    line = models.ForeignKey(CreditLine, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=CorrectionLineState.choices,
        default=CorrectionLineState.PENDING,
    )
    restore_decision = models.ForeignKey(
        CreditDecision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("correcting decision"),
    )

    class Meta:
        verbose_name = _("corrected decision")
        verbose_name_plural = _("corrected decisions")
        indexes = [
            models.Index(fields=["correction", "state", "line"], name="credit_correction_todo_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.correction_id}:{self.decision_id} {self.state}"
