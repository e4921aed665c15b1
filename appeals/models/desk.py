"""The staff desk's data: holiday calendar, canned responses, agent availability, and the
assignment, extension and missed-deadline logs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .appeal import Appeal


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (day off)")
    WORKDAY = "workday", _("Make-up working day")


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week for the SLA clocks, editable in the admin."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=CalendarDayKind.choices, default=CalendarDayKind.HOLIDAY
    )
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("holiday calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class MacroAction(models.TextChoices):
    REPLY = "", _("Reply to the borrower")
    REQUEST_INFO = "request_info", _("Ask the borrower for information")
    APPROVE = "approve", _("Approve")
    DENY = "deny", _("Deny")
    EXTEND = "extend", _("Extend the decision date")


class CannedResponse(models.Model):
    """A macro: a text staff start from, in both languages (the desk picks the borrower's),
    with placeholders filled for the appeal, and the action it goes with."""

    title = models.CharField(_("title"), max_length=80, unique=True)
    action = models.CharField(
        _("action"), max_length=16, choices=MacroAction.choices, blank=True, db_default=""
    )
    body_zh = models.TextField(
        _("text (Chinese)"),
        help_text=_(
            "Placeholders: {borrower_name} {reference} {reply_due} {decision_due} {reasons}"
        ),
    )
    body_en = models.TextField(_("text (English)"))
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def body_for(self, language: str) -> str:
        return self.body_en if (language or "").startswith("en") else self.body_zh


class AgentAvailability(models.Model):
    """Whether an agent takes new appeals. No row means available."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        related_name="desk_availability",
        on_delete=models.CASCADE,
        verbose_name=_("agent"),
    )
    away = models.BooleanField(_("away"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")
        permissions = [("set_agent_away", "Can mark agents away or back")]

    def __str__(self) -> str:
        state = _("away") if self.away else _("available")
        return f"{self.agent.full_name}: {state}"


class AppealAssignment(models.Model):
    """Every (re)assignment: to whom, from whom, by whom (none = automatic), why."""

    appeal = models.ForeignKey(Appeal, related_name="assignments", on_delete=models.CASCADE)
    from_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("from"),
    )
    to_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("to"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("appeal assignment")
        verbose_name_plural = _("appeal assignments")
        ordering = ["at", "id"]
        permissions = [("reassign_appeal", "Can reassign appeals to another agent")]
        indexes = [
            models.Index(fields=["appeal", "at"], name="appeal_assignment_idx"),
            models.Index(fields=["to_assignee", "-at"], name="appeal_assignment_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} → {self.to_assignee_id}"


class AppealExtension(models.Model):
    """An extension of the resolution clock, with the reason the borrower was told."""

    appeal = models.ForeignKey(Appeal, related_name="extensions", on_delete=models.CASCADE)
    step = models.PositiveSmallIntegerField(_("extension"))
    days_added = models.PositiveSmallIntegerField(_("days added"))
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    resolution_due_before = models.DateTimeField(_("decision expected by (before)"))
    resolution_due_after = models.DateTimeField(_("decision expected by (after)"))

    class Meta:
        verbose_name = _("appeal extension")
        verbose_name_plural = _("appeal extensions")
        ordering = ["at", "id"]
        permissions = [
            ("extend_appeal", "Can extend an appeal's resolution to 30 days"),
            ("approve_further_extension", "Can approve extending an appeal by 30 more days"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "step"], name="appeal_extension_once"),
            models.CheckConstraint(
                condition=Q(step__gte=1) & Q(step__lte=2), name="appeal_extension_step_1_or_2"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} +{self.days_added}d"


class SlaClockName(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    SECOND_REVIEW = "second_review", _("Second review")


class SlaBreach(models.Model):
    """A missed due time, recorded once: the escalation to supervisors is sent once per row."""

    appeal = models.ForeignKey(Appeal, related_name="sla_breaches", on_delete=models.CASCADE)
    clock = models.CharField(_("clock"), max_length=16, choices=SlaClockName.choices)
    due = models.DateTimeField(_("was due"))
    detected_at = models.DateTimeField(_("detected"), default=timezone.now)

    class Meta:
        verbose_name = _("missed deadline")
        verbose_name_plural = _("missed deadlines")
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "clock", "due"], name="appeal_breach_once"),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.clock} {self.due:%Y-%m-%d %H:%M}"
