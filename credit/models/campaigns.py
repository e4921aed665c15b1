"""Policy campaigns: a supervisor's deliberate change to a segment of lines, run in chunks,
with one row per line so a crashed or repeated run never decides a line twice."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .decisions import CreditDecision
from .lines import CreditLine
from .rules import ReasonCode
from .runs import ChunkedRun


class CampaignAction(models.TextChoices):
    FREEZE = "freeze", _("Pause")
    REDUCE = "reduce", _("Reduce the limit by a share")
    CLOSE = "close", _("Close with notice")
    LIFT = "lift", _("Restore paused or closing lines")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    HELD = "held", _("Held for review")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    DISCARDED = "discarded", _("Discarded")
    LIFTING = "lifting", _("Being lifted")
    LIFTED = "lifted", _("Lifted")
    # A chunk failed every retry: the run stops where it was until a supervisor retries it.
    FAILED = "failed", _("Failed: a chunk did not run")


class PolicyCampaign(ChunkedRun):
    """A product or operations strategy change applied to the lines of a segment.

    The segment is a filter on the lines (statuses, months since opening, limit); the action
    is the same for every line. `ends_on` makes a freeze temporary: the campaign is lifted
    that day and the lines it paused are restored.
    """

    action = models.CharField(_("action"), max_length=16, choices=CampaignAction.choices)
    reduce_percent = models.PositiveSmallIntegerField(
        _("reduce by (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    reason_code = models.ForeignKey(
        ReasonCode, on_delete=models.PROTECT, related_name="+", verbose_name=_("reason")
    )
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=30)
    ends_on = models.DateField(
        _("ends on"),
        null=True,
        blank=True,
        help_text=_("For a temporary pause: the day the campaign is lifted by itself."),
    )
    # The segment: which lines the campaign acts on.
    statuses = models.JSONField(
        _("line statuses"),
        default=list,
        blank=True,
        help_text=_("Empty: every status the action applies to."),
    )
    min_tenure_months = models.PositiveSmallIntegerField(
        _("at least this many months since opening"), null=True, blank=True
    )
    max_tenure_months = models.PositiveSmallIntegerField(
        _("less than this many months since opening"), null=True, blank=True
    )
    min_limit = models.DecimalField(
        _("limit at least"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_limit = models.DecimalField(
        _("limit at most"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    state = models.CharField(
        _("state"),
        max_length=16,
        choices=CampaignState.choices,
        default=CampaignState.DRAFT,
        db_index=True,
    )
    held_because = models.CharField(_("held because"), max_length=16, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("released or discarded by"),
    )
    reviewed_at = models.DateTimeField(_("released or discarded"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lifted by"),
    )

    # A failed run: the state to go back to on a retry (running or lifting), where it
    # stopped (the first line still waiting) and why.
    failed_state = models.CharField(_("failed while"), max_length=16, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    failed_first_line_id = models.BigIntegerField(_("failed at line"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    IN_PROGRESS = ("running", "lifting")

    class Meta(ChunkedRun.Meta):
        verbose_name = _("policy campaign")
        verbose_name_plural = _("policy campaigns")
        ordering = ["-created_at", "-id"]
        permissions = [("run_policycampaign", "Can run, cancel and lift a policy campaign")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="reduce") | Q(reduce_percent__isnull=False),
                name="credit_campaign_reduce_needs_percent",
            ),
        ]


class CampaignLineState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPLIED = "applied", _("Changed")
    SKIPPED = "skipped", _("Skipped")
    RESTORED = "restored", _("Restored")
    KEPT = "kept", _("Left as it is (changed since)")


class CampaignLine(models.Model):
    """One line a campaign acts on: waiting, changed (with its decision), skipped, restored.

    The row is written in the same transaction as the line's decision and notice, so a run
    resumed after a crash picks up exactly the lines still waiting.
    """

    campaign = models.ForeignKey(PolicyCampaign, on_delete=models.PROTECT, related_name="lines")
    line = models.ForeignKey(CreditLine, on_delete=models.PROTECT, related_name="campaign_entries")
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=CampaignLineState.choices,
        default=CampaignLineState.PENDING,
    )
    decision = models.OneToOneField(
        CreditDecision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaign_entry",
        verbose_name=_("campaign decision"),
    )
    restore_decision = models.OneToOneField(
        CreditDecision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaign_restore_entry",
        verbose_name=_("restoring decision"),
    )

    class Meta:
        verbose_name = _("campaign line")
        verbose_name_plural = _("campaign lines")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "line"], name="credit_campaign_line_once"),
        ]
        indexes = [
            models.Index(fields=["campaign", "state", "line"], name="credit_campaign_todo_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.line_id} {self.state}"
