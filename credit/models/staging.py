"""Decisions the engine planned but did not apply yet: a key customer's closure or pause
waiting for a staff review, and the decisions of a batch the circuit breaker held.

A staged plan keeps everything the decision would record (outcome, limits, notice, reasons,
versions, features, segment), so applying it later writes the same decision the engine would
have written, and the borrower is told then, not before.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .decisions import CreditDecision, DecisionOutcome, DecisionTrigger
from .lines import CreditLine, CreditLineStatus
from .rules import DecisionPolicy, ReasonCode, Scorecard


class StagedPlan(models.Model):
    """What the engine would do to a line, kept instead of applied."""

    line = models.ForeignKey(
        CreditLine, on_delete=models.PROTECT, related_name="+", verbose_name=_("credit line")
    )
    staged_at = models.DateTimeField(_("staged"), default=timezone.now)
    trigger = models.CharField(_("trigger"), max_length=16, choices=DecisionTrigger.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("asked by"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=DecisionOutcome.choices)
    old_status = models.CharField(_("status before"), max_length=16, choices=CreditLineStatus)
    new_status = models.CharField(_("status after"), max_length=16, choices=CreditLineStatus)
    old_limit = models.DecimalField(_("limit before"), max_digits=12, decimal_places=2)
    new_limit = models.DecimalField(_("limit after"), max_digits=12, decimal_places=2)
    buffer_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=0)
    # The line as it was read: if it changed since, the plan is stale and is not applied.
    line_updated_at = models.DateTimeField(_("line as of"))
    scorecard = models.ForeignKey(
        Scorecard, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    policy = models.ForeignKey(
        DecisionPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    score = models.IntegerField(_("credit score"), null=True, blank=True)
    features = models.JSONField(_("features"), default=dict, blank=True)
    points = models.JSONField(_("points per attribute"), default=list, blank=True)
    segment = models.CharField(_("segment"), max_length=64, blank=True, default="")
    note = models.TextField(_("note"), blank=True)
    # Ranked reasons: [code, scored factor, points lost, knock-out].
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    # The segment asks for a staff review before this closure or pause takes effect.
    review_first = models.BooleanField(_("staff review first"), default=False)
    # What would change the decision, worked out from the facts as of the staging time (the
    # decision applied later carries them: never recomputed from later facts).
    counterfactuals = models.JSONField(_("what would change it"), default=list, blank=True)

    class Meta:
        abstract = True

    @property
    def reason_codes(self) -> list[str]:
        return [code for code, *_ in self.reasons]


class EvaluationBatchKind(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly re-evaluation")
    ACTIVATION = "activation", _("Re-evaluation after a new version")


class EvaluationBatchState(models.TextChoices):
    RUNNING = "running", _("Running")
    HELD = "held", _("Held for review")
    RELEASED = "released", _("Released")
    # Every chunk staged, the whole batch within the breaker's band: applying, no one asked.
    APPLYING = "applying", _("Applying (within the band)")
    DISCARDED = "discarded", _("Discarded")
    COMPLETED = "completed", _("Completed")
    # A chunk failed every retry: the breaker cannot decide without it, so nothing applies
    # until a supervisor retries the chunk (or discards the batch).
    FAILED = "failed", _("Failed: a chunk did not run")


class EvaluationBatch(models.Model):
    """One run of the engine over every line (nightly, or after a version is activated),
    watched by the circuit breaker as a whole: every chunk stages its decisions, and only once
    the last chunk is counted does the batch apply (within the band) or wait, held, with
    nothing applied and nothing told, for a supervisor to release or discard it."""

    kind = models.CharField(_("kind"), max_length=16, choices=EvaluationBatchKind.choices)
    name = models.CharField(_("name"), max_length=120)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=EvaluationBatchState.choices,
        default=EvaluationBatchState.RUNNING,
        db_index=True,
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=DecisionTrigger.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    lines_total = models.PositiveIntegerField(_("lines to evaluate"), default=0)
    lines_evaluated = models.PositiveIntegerField(_("lines evaluated"), default=0)
    adverse = models.PositiveIntegerField(_("adverse decisions"), default=0)
    # The breaker's baseline, read once when the batch starts: adverse decisions per line over
    # the 30 days before (None without history). Not re-read per chunk, so the batch's own
    # decisions never raise its bar, and a million-line run does not count the table 1,000 times.
    trailing_rate = models.FloatField(_("trailing 30-day adverse rate"), null=True, blank=True)
    held_because = models.CharField(_("held because"), max_length=16, blank=True)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    # When a chunk last checked in (counted) or a supervisor retried: a running batch silent
    # for longer than a chunk may live has lost a chunk (`batch_failures.silent_chunks_fail`).
    last_progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("released or discarded by"),
    )
    reviewed_at = models.DateTimeField(_("released or discarded"), null=True, blank=True)
    review_note = models.TextField(_("supervisor's note"), blank=True)
    # After an activation: the version activated and the one it replaced, so that discarding
    # the batch puts the replaced version back (the discarded one would decide tomorrow).
    scorecard = models.ForeignKey(
        Scorecard,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scorecard activated"),
    )
    policy = models.ForeignKey(
        DecisionPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy activated"),
    )
    replaced_scorecard = models.ForeignKey(
        Scorecard,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scorecard replaced"),
    )
    replaced_policy = models.ForeignKey(
        DecisionPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy replaced"),
    )

    class Meta:
        verbose_name = _("evaluation batch")
        verbose_name_plural = _("evaluation batches")
        ordering = ["-started_at", "-id"]
        permissions = [("review_evaluationbatch", "Can release or discard a held batch")]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """The batch's name in the active language. The stored `name` is the English one it
        was given when it started, kept as it was."""
        if self.kind == EvaluationBatchKind.NIGHTLY:
            day = timezone.localtime(self.started_at, timezone.get_default_timezone()).date()
            return gettext("Nightly re-evaluation %(day)s") % {"day": f"{day:%Y-%m-%d}"}
        if self.kind == EvaluationBatchKind.ACTIVATION and self.scorecard_id:
            return gettext("Scorecard v%(version)s activated") % {"version": self.scorecard.version}
        if self.kind == EvaluationBatchKind.ACTIVATION and self.policy_id:
            return gettext("Decision policy v%(version)s activated") % {
                "version": self.policy.version
            }
        return self.name

    def titles(self) -> dict[str, str]:
        """`title` in each language, for a notice each recipient reads in their own."""
        found = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                found[code] = self.title
        return found


class EvaluationBatchChunk(models.Model):
    """A chunk counted into its batch (by its first line): a chunk run twice (a worker lost
    after its commit) is counted once, so the batch is decided only when every chunk is in."""

    batch = models.ForeignKey(EvaluationBatch, on_delete=models.CASCADE, related_name="chunks")
    first_line_id = models.BigIntegerField()
    lines = models.PositiveIntegerField(default=0)
    adverse = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "first_line_id"], name="credit_batch_chunk_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.first_line_id}"


class EvaluationBatchFailure(models.Model):
    """A chunk of a batch that failed for good (every retry spent, or an error not worth
    retrying): which lines, the arguments it ran with (to run it again), and the error. While
    one is open (not yet counted into its batch) the batch is failed and nothing of it applies.
    """

    batch = models.ForeignKey(EvaluationBatch, on_delete=models.CASCADE, related_name="failures")
    first_line_id = models.BigIntegerField(_("first line"))
    lines = models.PositiveIntegerField(_("lines"), default=0)
    # The chunk task's arguments, as it was queued: a retry queues exactly the same chunk.
    task_args = models.JSONField(_("task arguments"), default=list)
    error = models.TextField(_("error"))
    failures = models.PositiveIntegerField(_("times failed"), default=1)
    failed_at = models.DateTimeField(_("failed"), default=timezone.now)
    retried_at = models.DateTimeField(_("retried"), null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("retried by"),
    )
    # Set when the chunk was counted into its batch after all (a retry that succeeded).
    resolved_at = models.DateTimeField(_("ran"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed chunk")
        verbose_name_plural = _("failed chunks")
        ordering = ["first_line_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "first_line_id"], name="credit_batch_failure_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.first_line_id}"


class BatchWaitingLine(models.Model):
    """A line evaluated on its own (new events, an appeal, a staff request) while the batch of
    a newly activated version had not settled: the unguarded version's outcome is not applied;
    the line waits for the batch and is evaluated again once it is completed or discarded
    (`looked_at`). The events that asked for it are kept as always."""

    batch = models.ForeignKey(
        EvaluationBatch, on_delete=models.CASCADE, related_name="waiting_lines"
    )
    line = models.ForeignKey(
        CreditLine, on_delete=models.CASCADE, related_name="+", verbose_name=_("credit line")
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=DecisionTrigger.choices)
    asked_at = models.DateTimeField(_("evaluation asked"), default=timezone.now)
    looked_at = models.DateTimeField(_("evaluated again"), null=True, blank=True)

    class Meta:
        verbose_name = _("line waiting for a batch")
        verbose_name_plural = _("lines waiting for a batch")
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="credit_batch_waiting_once"),
        ]
        indexes = [
            models.Index(fields=["batch", "looked_at"], name="credit_batch_waiting_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line_id}"


class HeldDecisionState(models.TextChoices):
    STAGED = "staged", _("Waiting")
    APPLIED = "applied", _("Applied")
    REVIEW = "review", _("Sent for a staff review")
    STALE = "stale", _("Not applied (the line changed since)")
    DISCARDED = "discarded", _("Discarded")


class HeldDecision(StagedPlan):
    """A decision of a held batch: staged until a supervisor releases or discards the batch."""

    batch = models.ForeignKey(
        EvaluationBatch, on_delete=models.PROTECT, related_name="held_decisions"
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=HeldDecisionState.choices,
        default=HeldDecisionState.STAGED,
    )
    decision = models.OneToOneField(
        CreditDecision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="held_entry",
        verbose_name=_("decision"),
    )

    class Meta:
        verbose_name = _("held decision")
        verbose_name_plural = _("held decisions")
        constraints = [
            # A chunk run twice stages each line once.
            models.UniqueConstraint(fields=["batch", "line"], name="credit_held_line_once"),
        ]
        indexes = [models.Index(fields=["batch", "state", "id"], name="credit_held_todo_idx")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line_id} {self.outcome} ({self.state})"


class DecisionReviewState(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    CONFIRMED = "confirmed", _("Confirmed")
    OVERRIDDEN = "overridden", _("Overridden")
    STALE = "stale", _("Not applied (the line changed since)")


class DecisionReview(StagedPlan):
    """A key customer's closure or pause, staged for a staff review before it takes effect or
    the borrower hears of it (due within 2 business days)."""

    due_at = models.DateTimeField(_("review due"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=DecisionReviewState.choices,
        default=DecisionReviewState.PENDING,
        db_index=True,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    override_reason = models.ForeignKey(
        ReasonCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reason for the override"),
    )
    comment = models.TextField(_("reviewer's comment"), blank=True)
    decision = models.OneToOneField(
        CreditDecision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review",
        verbose_name=_("decision taken"),
    )

    class Meta:
        verbose_name = _("decision review")
        verbose_name_plural = _("decision reviews")
        ordering = ["due_at", "id"]
        permissions = [("decide_decisionreview", "Can confirm or override a staged decision")]
        constraints = [
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(state="pending"),
                name="credit_review_one_pending_per_line",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="credit_review_queue_idx")]

    def __str__(self) -> str:
        return f"{self.line} · {self.get_outcome_display()} · {self.get_state_display()}"
