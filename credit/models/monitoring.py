"""Monitoring: what each chunk of evaluation saw (append-only tallies), the figures of each day
per version and segment, and the alerts raised when a figure left its band."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .rules import DecisionPolicy, Scorecard


class EvaluationTally(models.Model):
    """What one chunk of re-evaluation saw for one segment: written with the chunk, summed into
    `MonitoringDay` by the daily job (one INSERT per chunk: no row two workers fight over)."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(DecisionPolicy, on_delete=models.PROTECT, related_name="+")
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    evaluated = models.PositiveIntegerField(_("lines evaluated"))
    adverse = models.PositiveIntegerField(_("adverse verdicts"))
    scores = models.JSONField(_("lines per score bin"), default=dict)
    knockouts = models.JSONField(_("knock-out rule hits"), default=dict)
    reasons = models.JSONField(_("first reason of adverse verdicts"), default=dict)

    class Meta:
        verbose_name = _("evaluation tally")
        verbose_name_plural = _("evaluation tallies")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.segment} {self.evaluated}"


class MonitoringDay(models.Model):
    """One day's figures for a scorecard + policy version and a segment."""

    day = models.DateField(_("day"))
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.PROTECT, related_name="+", verbose_name=_("scorecard")
    )
    policy = models.ForeignKey(
        DecisionPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("policy")
    )
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    evaluated = models.PositiveIntegerField(_("lines evaluated"), default=0)
    adverse = models.PositiveIntegerField(_("adverse verdicts"), default=0)
    scores = models.JSONField(_("lines per score bin"), default=dict, blank=True)
    knockouts = models.JSONField(_("knock-out rule hits"), default=dict, blank=True)
    reasons = models.JSONField(_("first reason of adverse verdicts"), default=dict, blank=True)
    appeals_opened = models.PositiveIntegerField(_("appeals opened"), default=0)
    appeals_overturned = models.PositiveIntegerField(_("appeals overturned"), default=0)
    drift = models.FloatField(
        _("score drift (PSI)"),
        null=True,
        blank=True,
        help_text=_("Population stability index of the scores against the version's shadow run."),
    )
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("monitoring day")
        verbose_name_plural = _("monitoring days")
        ordering = ["-day", "scorecard", "policy", "segment"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "scorecard", "policy", "segment"], name="credit_monitoring_day_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} s{self.scorecard_id}/p{self.policy_id} {self.segment}"

    @property
    def adverse_share(self) -> float | None:
        return self.adverse / self.evaluated if self.evaluated else None


class AlertKind(models.TextChoices):
    ADVERSE_SHARE = "adverse_share", _("Adverse share out of its band")
    REASON_SHARE = "reason_share", _("A reason code's share out of its band")
    SCORE_DRIFT = "score_drift", _("Scores drifted from the shadow run")
    SOURCE_SILENT = "source_silent", _("No events from a source that normally sends")


class MonitoringAlert(models.Model):
    """A figure that left its band on a day; supervisors are told once per alert."""

    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices)
    subject = models.CharField(_("about"), max_length=200)
    value = models.FloatField(_("value"))
    low = models.FloatField(_("band from"))
    high = models.FloatField(_("band to"))
    created_at = models.DateTimeField(_("raised"), default=timezone.now)

    class Meta:
        verbose_name = _("monitoring alert")
        verbose_name_plural = _("monitoring alerts")
        ordering = ["-day", "kind", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "subject"], name="credit_monitoring_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.subject}"
