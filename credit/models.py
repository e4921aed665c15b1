"""Credit lines, the events upstream systems send about them, and the decisions taken on them.

The scorecard and decision policy are versioned rows whose rules are JSON documents read by
the pure engine in `credit.engine`; a version can be edited while it is a draft and never
again once activated. Decisions and their ranked reasons are append-only.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition


class CreditLineStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSING = "closing", _("Closing")
    CLOSED = "closed", _("Closed")
    FROZEN = "frozen", _("Paused")


class CreditLine(FSMModelMixin, models.Model):
    """One revolving credit line per borrower. Status changes only through `credit.services`."""

    borrower = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        related_name="credit_line",
        on_delete=models.PROTECT,
        verbose_name=_("borrower"),
    )
    credit_limit = models.DecimalField(_("credit limit"), max_digits=12, decimal_places=2)
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2, default=0)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=CreditLineStatus.choices,
        default=CreditLineStatus.ACTIVE,
        protected=True,
        db_index=True,
    )
    closing_effective_at = models.DateTimeField(_("closing on"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("credit line")
        verbose_name_plural = _("credit lines")
        permissions = [("reevaluate_creditline", "Can request a re-evaluation of a credit line")]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="credit_line_limit_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="credit_line_balance_not_negative"
            ),
            # The notice period's end exists exactly while the line is closing.
            models.CheckConstraint(
                condition=(
                    Q(status=CreditLineStatus.CLOSING, closing_effective_at__isnull=False)
                    | (~Q(status=CreditLineStatus.CLOSING) & Q(closing_effective_at__isnull=True))
                ),
                name="credit_line_closing_date_iff_closing",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "closing_effective_at"], name="credit_line_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.borrower.customer_id or self.borrower_id} ({self.get_status_display()})"

    @property
    def available(self) -> Decimal:
        return max(self.credit_limit - self.balance, Decimal("0.00"))

    # Transitions only set fields on self; services lock, call, save, record and notify.

    @transition(
        field=status,
        source=[CreditLineStatus.ACTIVE, CreditLineStatus.FROZEN],
        target=CreditLineStatus.CLOSING,
    )
    def schedule_closure(self, *, effective_at) -> None:
        self.closing_effective_at = effective_at

    @transition(field=status, source=CreditLineStatus.CLOSING, target=CreditLineStatus.CLOSED)
    def close(self) -> None:
        self.closing_effective_at = None

    @transition(
        field=status,
        source=[CreditLineStatus.ACTIVE, CreditLineStatus.CLOSING],
        target=CreditLineStatus.FROZEN,
    )
    def freeze(self) -> None:
        self.closing_effective_at = None

    @transition(field=status, source=CreditLineStatus.ACTIVE, target=CreditLineStatus.ACTIVE)
    def reduce_limit(self, *, new_limit: Decimal) -> None:
        self.credit_limit = new_limit

    @transition(field=status, source=CreditLineStatus.ACTIVE, target=CreditLineStatus.ACTIVE)
    def restore_limit(self, *, new_limit: Decimal) -> None:
        """An active line whose limit was reduced gets (some of) it back (an appeal upheld)."""
        self.credit_limit = new_limit

    @transition(
        field=status,
        source=[CreditLineStatus.CLOSING, CreditLineStatus.FROZEN, CreditLineStatus.CLOSED],
        target=CreditLineStatus.ACTIVE,
    )
    def reinstate(self, *, new_limit: Decimal | None = None) -> None:
        self.closing_effective_at = None
        if new_limit is not None:
            self.credit_limit = new_limit


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

    line = models.ForeignKey(
        CreditLine, related_name="events", on_delete=models.PROTECT, verbose_name=_("credit line")
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


class ReasonCategory(models.TextChoices):
    SCORE_CHANGE = "score_change", _("Your credit score changed")
    MULTI_LENDING = "multi_lending", _("Borrowing at many platforms")
    REPAYMENT = "repayment", _("Repayment record")
    POLICY_ADJUSTMENT = "policy_adjustment", _("Product policy change")
    REGULATORY = "regulatory", _("Regulatory requirement")
    SYSTEM_ERROR = "system_error", _("System error (our mistake)")


class ReasonCode(models.Model):
    """A reason a borrower may be given, in both languages. The texts are data, not gettext."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    category = models.CharField(_("category"), max_length=32, choices=ReasonCategory.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120)
    explanation_zh = models.TextField(_("explanation (Chinese)"))
    explanation_en = models.TextField(_("explanation (English)"))
    advice_zh = models.TextField(_("what you can do (Chinese)"))
    advice_en = models.TextField(_("what you can do (English)"))
    appealable = models.BooleanField(_("appealable"), default=True)
    default_buffer_days = models.PositiveSmallIntegerField(
        _("default notice period (days)"), default=30
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reason code")
        verbose_name_plural = _("reason codes")
        ordering = ["category", "code"]
        indexes = [models.Index(fields=["category"], name="credit_reason_category_idx")]

    def __str__(self) -> str:
        return self.code

    def _pick(self, field: str, language: str | None) -> str:
        lang = (language or "").lower()
        return getattr(self, f"{field}_en" if lang.startswith("en") else f"{field}_zh")

    def title_in(self, language: str | None) -> str:
        return self._pick("title", language)

    def explanation_in(self, language: str | None) -> str:
        return self._pick("explanation", language)

    def advice_in(self, language: str | None) -> str:
        return self._pick("advice", language)


class VersionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("rule version", "Draft")
    ACTIVE = "active", pgettext_lazy("rule version", "Active")
    RETIRED = "retired", pgettext_lazy("rule version", "Retired")


class VersionedRules(models.Model):
    """A numbered version of rules: editable as a draft, frozen from activation on."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("activated by"),
    )

    # Fields that may still change after activation (retiring a version).
    LIFECYCLE_FIELDS = frozenset({"status", "activated_at", "activated_by"})

    class Meta:
        abstract = True
        ordering = ["-version"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            self._refuse_changes_once_activated()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if (
            self.pk is not None
            and type(self).objects.filter(pk=self.pk).exclude(status=VersionStatus.DRAFT).exists()
        ):
            raise ValidationError(_("An activated version can no longer be deleted."))
        return super().delete(*args, **kwargs)

    def _refuse_changes_once_activated(self) -> None:
        stored = type(self).objects.filter(pk=self.pk).first()
        if stored is None or stored.status == VersionStatus.DRAFT:
            return
        for field in self._meta.concrete_fields:
            if field.attname in self.LIFECYCLE_FIELDS or field.name in self.LIFECYCLE_FIELDS:
                continue
            if getattr(stored, field.attname) != getattr(self, field.attname):
                raise ValidationError(
                    _("Version %(version)s is activated and can no longer change.")
                    % {"version": stored.version}
                )

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT


class Scorecard(VersionedRules):
    """Score = base points + the points of the bin each attribute's feature falls into.

    `attributes` is a list of {"feature", "label", "reason_code", "bins": [{"label", "min",
    "max", "missing", "points", "reason_code"?}]}; see `credit.engine.scorecard`.
    """

    base_points = models.IntegerField(_("base points"), default=0)
    attributes = models.JSONField(_("attributes"), default=list)

    class Meta(VersionedRules.Meta):
        verbose_name = _("scorecard version")
        verbose_name_plural = _("scorecard versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status=VersionStatus.ACTIVE),
                name="credit_scorecard_one_active",
            ),
        ]

    def __str__(self) -> str:
        return _("Scorecard v%(version)s (%(status)s)") % {
            "version": self.version,
            "status": self.get_status_display(),
        }


class DecisionPolicy(VersionedRules):
    """Turns a score into an outcome: thresholds, knock-out rules, segments, notice period.

    score >= keep_min_score keeps; >= reduce_min_score reduces the limit by `reduce_share`;
    >= freeze_min_score pauses the line; below, closure is scheduled `closure_buffer_days`
    ahead. `knockouts` and `segments` are JSON lists; see `credit.engine.policy`.
    """

    keep_min_score = models.IntegerField(_("keep at or above"))
    reduce_min_score = models.IntegerField(_("reduce the limit at or above"))
    freeze_min_score = models.IntegerField(_("pause at or above"))
    reduce_share = models.DecimalField(
        _("share of the limit removed by a reduction"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
    )
    closure_buffer_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=30)
    knockouts = models.JSONField(_("knock-out rules"), default=list, blank=True)
    segments = models.JSONField(_("segment rules"), default=list, blank=True)

    class Meta(VersionedRules.Meta):
        verbose_name = _("decision policy version")
        verbose_name_plural = _("decision policy versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status=VersionStatus.ACTIVE),
                name="credit_policy_one_active",
            ),
            models.CheckConstraint(
                condition=Q(keep_min_score__gte=models.F("reduce_min_score"))
                & Q(reduce_min_score__gte=models.F("freeze_min_score")),
                name="credit_policy_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return _("Decision policy v%(version)s (%(status)s)") % {
            "version": self.version,
            "status": self.get_status_display(),
        }


class DecisionTrigger(models.TextChoices):
    EVENT = "event", _("New credit events")
    PERIODIC = "periodic", _("Scheduled review")
    APPEAL = "appeal", _("Appeal")
    STAFF = "staff", _("Staff request")
    CAMPAIGN = "campaign", _("Policy campaign")
    CORRECTION = "correction", _("System error correction")


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
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("credit decision")
        verbose_name_plural = _("credit decisions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["line", "-created_at"], name="credit_decision_line_idx"),
            models.Index(fields=["outcome", "created_at"], name="credit_decision_outcome_idx"),
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


class ClosureDeferral(models.Model):
    """Why a closure whose notice period ended was not carried out (e.g. an open appeal)."""

    line = models.ForeignKey(CreditLine, related_name="closure_deferrals", on_delete=models.PROTECT)
    closing_effective_at = models.DateTimeField(_("closing on"))
    hold = models.CharField(_("held by"), max_length=64)
    detail = models.TextField(_("detail"), blank=True)
    first_deferred_at = models.DateTimeField(_("first deferred"), default=timezone.now)
    last_deferred_at = models.DateTimeField(_("last deferred"), default=timezone.now)

    class Meta:
        verbose_name = _("deferred closure")
        verbose_name_plural = _("deferred closures")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "closing_effective_at", "hold"],
                name="credit_closure_deferral_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} held by {self.hold}"
