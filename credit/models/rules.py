"""Reason codes and the versioned scorecard and decision policy read by the pure engine.

The rules are JSON documents; a version can be edited while it is a draft and never again
once activated.
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

# Days between the notice of a closure and the closure (DESIGN.md defaults: 30; 60 for
# UK/EU-style deployments). A new policy version and a new reason code start from it.
DEFAULT_CLOSURE_BUFFER_DAYS = 30


class ReasonCategory(models.TextChoices):
    SCORE_CHANGE = "score_change", _("Your credit score changed")
    MULTI_LENDING = "multi_lending", _("Borrowing at many platforms")
    REPAYMENT = "repayment", _("Repayment record")
    POLICY_ADJUSTMENT = "policy_adjustment", _("Product policy change")
    REGULATORY = "regulatory", _("Regulatory requirement")
    SYSTEM_ERROR = "system_error", _("System error (our mistake)")


WORDING_FIELDS = (
    "title_zh",
    "title_en",
    "explanation_zh",
    "explanation_en",
    "advice_zh",
    "advice_en",
)


class _Worded:
    """Reading a title, explanation or advice in the reader's language."""

    def _pick(self, field: str, language: str | None) -> str:
        lang = (language or "").lower()
        return getattr(self, f"{field}_en" if lang.startswith("en") else f"{field}_zh")

    def title_in(self, language: str | None) -> str:
        return self._pick("title", language)

    def explanation_in(self, language: str | None) -> str:
        return self._pick("explanation", language)

    def advice_in(self, language: str | None) -> str:
        return self._pick("advice", language)


class ReasonCode(_Worded, models.Model):
    """A reason a borrower may be given, in both languages. The texts are data, not gettext.

    The texts here are the current wording, what the admin edits; each saved change becomes a
    new `ReasonWording` version (`wording` points at the latest), and a decision keeps the
    version it was made with, so an edit never rewrites what a borrower was told.
    """

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
        _("default notice period (days)"), default=DEFAULT_CLOSURE_BUFFER_DAYS
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    wording = models.ForeignKey(
        "ReasonWording",
        verbose_name=_("current wording"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reason code")
        verbose_name_plural = _("reason codes")
        ordering = ["category", "code"]
        indexes = [models.Index(fields=["category"], name="credit_reason_category_idx")]

    def __str__(self) -> str:
        return self.code

    def wording_differs(self) -> bool:
        """Whether the texts differ from the current wording version (or there is none)."""
        current = self.wording
        return current is None or any(
            getattr(self, name) != getattr(current, name) for name in WORDING_FIELDS
        )


class ReasonWording(_Worded, models.Model):
    """One version of a reason's texts, as borrowers read them; never changed once written."""

    reason_code = models.ForeignKey(
        ReasonCode, verbose_name=_("reason code"), on_delete=models.PROTECT, related_name="wordings"
    )
    version = models.PositiveIntegerField(_("version"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120)
    explanation_zh = models.TextField(_("explanation (Chinese)"))
    explanation_en = models.TextField(_("explanation (English)"))
    advice_zh = models.TextField(_("what you can do (Chinese)"))
    advice_en = models.TextField(_("what you can do (English)"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reason wording")
        verbose_name_plural = _("reason wordings")
        ordering = ["reason_code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["reason_code", "version"], name="credit_reason_wording_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason_code_id} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A reason's wording is kept as it was; save a new version."))
        super().save(*args, **kwargs)


class VersionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("rule version", "Draft")
    ACTIVE = "active", pgettext_lazy("rule version", "Active")
    RETIRED = "retired", pgettext_lazy("rule version", "Retired")


class VersionedRules(models.Model):
    """A numbered version of rules: editable as a draft, frozen from activation on."""

    # The fields that hold the rules (what the engine reads, a copy carries, the admin edits).
    RULE_FIELDS: tuple[str, ...] = ()

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
    # Four eyes: one supervisor asks for the activation, a second one approves it (and is
    # then `activated_by`); both are kept.
    activation_requested_at = models.DateTimeField(_("activation requested"), null=True, blank=True)
    activation_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("activation requested by"),
    )

    # Fields that may still change after activation (retiring a version).
    LIFECYCLE_FIELDS = frozenset(
        {
            "status",
            "activated_at",
            "activated_by",
            "activation_requested_at",
            "activation_requested_by",
        }
    )

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

    def rule_values(self) -> dict:
        """The rules of this version by field name (RULE_FIELDS)."""
        return {name: getattr(self, name) for name in self.RULE_FIELDS}

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

    RULE_FIELDS = ("base_points", "attributes")

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

    RULE_FIELDS = (
        "keep_min_score",
        "reduce_min_score",
        "freeze_min_score",
        "reduce_share",
        "closure_buffer_days",
        "knockouts",
        "segments",
    )

    keep_min_score = models.IntegerField(_("keep at or above"))
    reduce_min_score = models.IntegerField(_("reduce the limit at or above"))
    freeze_min_score = models.IntegerField(_("pause at or above"))
    reduce_share = models.DecimalField(
        _("share of the limit removed by a reduction"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
    )
    closure_buffer_days = models.PositiveSmallIntegerField(
        _("notice period (days)"), default=DEFAULT_CLOSURE_BUFFER_DAYS
    )
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
