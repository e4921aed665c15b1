"""Immutable decisions taken on a line and their ranked reasons (append-only)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .lines import CreditLine, CreditLineStatus
from .rules import DecisionPolicy, ReasonCode, Scorecard


class DecisionTrigger(models.TextChoices):
    EVENT = "event", _("New credit events")
    PERIODIC = "periodic", _("Scheduled review")
    APPEAL = "appeal", _("Appeal")
    STAFF = "staff", _("Staff request")
    CAMPAIGN = "campaign", _("Policy campaign")
    CORRECTION = "correction", _("System error correction")
    LENDER = "lender", _("The lender's core system")


class DecisionOutcome(models.TextChoices):
    KEEP = "keep", _("Kept")
    REDUCE_LIMIT = "reduce_limit", _("Limit reduced")
    FREEZE = "freeze", _("Paused")
    SCHEDULE_CLOSURE = "schedule_closure", _("Closure scheduled")
    CLOSE = "close", _("Closed")
    REINSTATE = "reinstate", _("Restored")


class ImmutableModel(models.Model):
    """Rows that are written once. PostgreSQL also refuses UPDATE/DELETE with a trigger."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Decisions are a permanent record and cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Decisions are a permanent record and cannot be deleted."))


class CreditDecision(ImmutableModel):
    """The permanent record of an evaluation that changed a line (or a staff action on it)."""

    line = models.ForeignKey(
        CreditLine,
        related_name="decisions",
        on_delete=models.PROTECT,
        verbose_name=_("credit line"),
    )
    created_at = models.DateTimeField(_("decided"), default=timezone.now)
    trigger = models.CharField(_("trigger"), max_length=16, choices=DecisionTrigger.choices)
    scorecard = models.ForeignKey(
        Scorecard, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    policy = models.ForeignKey(
        DecisionPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    features = models.JSONField(_("features"), default=dict, blank=True)
    points = models.JSONField(_("points per attribute"), default=list, blank=True)
    score = models.IntegerField(_("credit score"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=DecisionOutcome.choices)
    old_status = models.CharField(_("status before"), max_length=16, choices=CreditLineStatus)
    new_status = models.CharField(_("status after"), max_length=16, choices=CreditLineStatus)
    old_limit = models.DecimalField(_("limit before"), max_digits=12, decimal_places=2)
    new_limit = models.DecimalField(_("limit after"), max_digits=12, decimal_places=2)
    closing_effective_at = models.DateTimeField(_("closing on"), null=True, blank=True)
    # A reduction or pause given a notice period takes effect on this date (empty: at once).
    effective_at = models.DateTimeField(_("takes effect on"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    note = models.TextField(_("note"), blank=True)
    # The policy segment the borrower fell in when the engine decided (blank: none, or not
    # the engine's decision). Frozen with the decision, like its features.
    segment = models.CharField(_("segment"), max_length=64, blank=True, default="")
    # What would change an adverse decision, and when (`credit.engine.counterfactuals`, their
    # JSON form): computed when the decision is made, never again, so the explanation the
    # borrower read stays the one that was true.
    counterfactuals = models.JSONField(_("what would change it"), default=list, blank=True)
    # The writing transaction's id, set by PostgreSQL (the column default; 0 on SQLite, where
    # writers take turns). The reconciliation API pages by (commit_txid, id) and shows only
    # transactions older than every one still running, so a page never skips a decision
    # committed late (see credit/reconciliation.py).
    commit_txid = models.BigIntegerField(_("transaction"), db_default=0, editable=False)

    class Meta:
        verbose_name = _("credit decision")
        verbose_name_plural = _("credit decisions")
        ordering = ["-created_at", "-id"]
        permissions = [("export_creditdecision", "Can export decisions as CSV (audited)")]
        indexes = [
            models.Index(fields=["line", "-created_at"], name="credit_decision_line_idx"),
            models.Index(fields=["outcome", "created_at"], name="credit_decision_outcome_idx"),
            models.Index(fields=["commit_txid", "id"], name="credit_decision_cursor_idx"),
            models.Index(
                fields=["segment", "created_at"],
                name="credit_decision_segment_idx",
                condition=~Q(segment=""),
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.created_at)
        return f"{self.get_outcome_display()} · {when:%Y-%m-%d %H:%M}"

    @property
    def is_adverse(self) -> bool:
        return self.outcome in ADVERSE_OUTCOMES

    @property
    def reasons_ranked(self) -> list["DecisionReason"]:
        return sorted(self.reasons.all(), key=lambda r: r.rank)


ADVERSE_OUTCOMES = frozenset(
    {
        DecisionOutcome.REDUCE_LIMIT,
        DecisionOutcome.FREEZE,
        DecisionOutcome.SCHEDULE_CLOSURE,
        DecisionOutcome.CLOSE,
    }
)


class DecisionReason(ImmutableModel):
    """One ranked principal reason of a decision, with the points it cost."""

    decision = models.ForeignKey(CreditDecision, related_name="reasons", on_delete=models.PROTECT)
    rank = models.PositiveSmallIntegerField(_("rank"))
    reason_code = models.ForeignKey(
        ReasonCode, related_name="+", on_delete=models.PROTECT, verbose_name=_("reason")
    )
    attribute = models.CharField(_("scored factor"), max_length=64, blank=True)
    points_lost = models.IntegerField(_("points below maximum"), default=0)
    knockout = models.BooleanField(_("knock-out rule"), default=False)
    # The texts the borrower was given: the reason's wording when the decision was written.
    wording = models.ForeignKey(
        "credit.ReasonWording",
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("wording"),
    )

    class Meta:
        verbose_name = _("decision reason")
        verbose_name_plural = _("decision reasons")
        ordering = ["decision", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "rank"], name="credit_reason_rank_unique"),
            models.CheckConstraint(
                condition=Q(rank__gte=1) & Q(rank__lte=4), name="credit_reason_rank_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.reason_code_id}"

    @property
    def texts(self):
        """What this reason said to the borrower (every row has its wording since migration
        0009; the reason's current texts stand in for a row written without one)."""
        return self.wording if self.wording_id else self.reason_code

    def title_in(self, language: str | None) -> str:
        return self.texts.title_in(language)

    def explanation_in(self, language: str | None) -> str:
        return self.texts.explanation_in(language)

    def advice_in(self, language: str | None) -> str:
        return self.texts.advice_in(language)

    @property
    def title_zh(self) -> str:
        return self.texts.title_zh

    @property
    def title_en(self) -> str:
        return self.texts.title_en
