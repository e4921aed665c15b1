"""Shadow runs: a draft scorecard/policy version evaluated over every line without applying
anything, with one compact row per line (its outcome now and under the draft)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .lines import CreditLine
from .rules import DecisionPolicy, Scorecard
from .runs import ChunkedRun


class ShadowState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    # A chunk failed every retry: the run stops where it was until a supervisor retries it.
    FAILED = "failed", _("Failed: a chunk did not run")


class ShadowRun(ChunkedRun):
    """A scorecard and a policy (usually drafts) run beside the active ones over every line.

    Lines are taken in id order after `last_line_id` (the cursor moves in the transaction that
    writes the chunk's rows, so a resumed run neither skips nor repeats a line). `last_event_id`
    and the baseline versions say what the run saw: an event received since, or another active
    version, makes it out of date.
    """

    scorecard = models.ForeignKey(
        Scorecard,
        on_delete=models.PROTECT,
        related_name="shadow_runs",
        verbose_name=_("scorecard version tried"),
    )
    policy = models.ForeignKey(
        DecisionPolicy,
        on_delete=models.PROTECT,
        related_name="shadow_runs",
        verbose_name=_("decision policy version tried"),
    )
    baseline_scorecard = models.ForeignKey(
        Scorecard,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("active scorecard compared with"),
    )
    baseline_policy = models.ForeignKey(
        DecisionPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("active policy compared with"),
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ShadowState.choices,
        default=ShadowState.DRAFT,
        db_index=True,
    )
    last_line_id = models.BigIntegerField(_("last line done"), default=0)
    last_event_id = models.BigIntegerField(_("last event read"), default=0)
    # Lines per score bin under the versions tried, per segment ({segment: {bin: lines}}): the
    # reference monitoring measures each segment's drift from.
    scores = models.JSONField(_("score distribution"), default=dict, blank=True)
    # The rules tried, as they were when the run started: a draft edited since is out of date.
    rules_digest = models.CharField(_("rules tried (digest)"), max_length=64, blank=True)
    # A failed run: when and why (a retry carries on after `last_line_id`).
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta(ChunkedRun.Meta):
        verbose_name = _("shadow run")
        verbose_name_plural = _("shadow runs")
        permissions = [("run_shadowrun", "Can start and cancel a shadow run")]


class ShadowLine(models.Model):
    """One line of a shadow run: its outcome under the active versions and under the ones
    tried, the score tried, the first reason tried and the segment."""

    run = models.ForeignKey(ShadowRun, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(CreditLine, on_delete=models.CASCADE, related_name="+")
    current = models.CharField(_("outcome now"), max_length=16)
    would = models.CharField(_("outcome tried"), max_length=16)
    score = models.IntegerField(_("score tried"))
    reason = models.CharField(_("first reason tried"), max_length=64, blank=True)
    segment = models.CharField(_("segment"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("shadow line")
        verbose_name_plural = _("shadow lines")
        constraints = [
            models.UniqueConstraint(fields=["run", "line"], name="credit_shadow_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.line_id} {self.current}->{self.would}"
