"""The appeal case: its state machine, evidence, message thread, transition log and survey.

Transitions only set fields on the appeal; `appeals.services` locks the row, checks who may
act, calls the transition, saves, logs it and notifies on commit.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class AppealStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("Under review")
    AWAITING_BORROWER = "awaiting_borrower", _("We need more information")
    APPROVED = "approved", _("Approved")
    PARTIALLY_APPROVED = "partially_approved", _("Partly approved")
    AUTO_APPROVED = "auto_approved", _("Approved")
    DENIED = "denied", _("Not approved")
    SECOND_REVIEW = "second_review", _("Second review")
    DENIED_FINAL = "denied_final", _("Not approved after second review")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = AppealStatus
# The borrower may withdraw from these; at most one of them per credit line (a constraint).
OPEN_STATES = (S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.AWAITING_BORROWER, S.SECOND_REVIEW)
# A submitted appeal being worked holds the closure of its line (a draft does not).
HOLDING_STATES = (S.SUBMITTED, S.IN_REVIEW, S.AWAITING_BORROWER, S.SECOND_REVIEW)
# A person has decided (or the re-evaluation restored the line): the survey may be answered.
RESOLVED_STATES = (S.APPROVED, S.PARTIALLY_APPROVED, S.AUTO_APPROVED, S.DENIED, S.DENIED_FINAL)
FAVOURABLE_STATES = (S.APPROVED, S.PARTIALLY_APPROVED, S.AUTO_APPROVED)


class AppealGround(models.TextChoices):
    REPAID_ON_TIME = "repaid_on_time", _("I repaid on time")
    CLOSED_OTHER_LOANS = "closed_other_loans", _("I have closed my other loans")
    INFORMATION_WRONG = "information_wrong", _("The information used is wrong")
    TEMPORARY_HARDSHIP = "temporary_hardship", _("My difficulty was temporary")
    OTHER = "other", _("Other")


class Appeal(FSMModelMixin, models.Model):
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="appeals",
        on_delete=models.PROTECT,
        verbose_name=_("borrower"),
    )
    line = models.ForeignKey(
        "credit.CreditLine",
        related_name="appeals",
        on_delete=models.PROTECT,
        verbose_name=_("credit line"),
    )
    decision = models.ForeignKey(
        "credit.CreditDecision",
        related_name="appeals",
        on_delete=models.PROTECT,
        verbose_name=_("decision appealed"),
    )
    status = FSMField(
        _("status"),
        max_length=24,
        choices=AppealStatus.choices,
        default=AppealStatus.DRAFT,
        protected=True,
        db_index=True,
    )
    grounds = models.JSONField(_("reason for appeal"), default=list, blank=True)
    statement = models.TextField(_("statement"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # SLA seams for the staff desk: computed by appeals.sla, paused while awaiting the borrower.
    first_response_due = models.DateTimeField(_("reply expected by"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("decision expected by"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    awaiting_since = models.DateTimeField(
        _("waiting for the borrower since"), null=True, blank=True
    )
    borrower_reply_due = models.DateTimeField(_("borrower's reply due"), null=True, blank=True)
    auto_reviewed_at = models.DateTimeField(_("re-evaluated on submission"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="assigned_appeals",
        on_delete=models.SET_NULL,
        limit_choices_to={"is_staff": True},
        verbose_name=_("assignee"),
    )
    # The first decision (approve / partly approve / deny) and who took it.
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("decided by"),
    )
    outcome_explanation = models.TextField(_("explanation to the borrower"), blank=True)
    granted_limit = models.DecimalField(
        _("limit granted"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    second_review_until = models.DateTimeField(
        _("second review possible until"), null=True, blank=True
    )
    second_review_requested_at = models.DateTimeField(
        _("second review requested"), null=True, blank=True
    )
    second_review_statement = models.TextField(_("second review statement"), blank=True)
    second_decided_at = models.DateTimeField(_("second review decided"), null=True, blank=True)
    second_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("second review decided by"),
    )
    credit_decision = models.ForeignKey(
        "credit.CreditDecision",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("credit decision applied"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("work_appeal", "Can work an appeal (start review, reply, internal notes)"),
            ("request_info", "Can ask the borrower for more information"),
            ("decide_appeal", "Can approve, partly approve or deny an appeal"),
            ("decide_second_review", "Can decide a second review"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(status__in=[s.value for s in OPEN_STATES]),
                name="appeal_one_open_per_line",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "resolution_due"], name="appeal_status_due_idx"),
            models.Index(fields=["assignee", "status"], name="appeal_assignee_idx"),
            models.Index(fields=["borrower", "-created_at"], name="appeal_borrower_idx"),
            # Staff desk: the "breached" queue (first response still owed).
            models.Index(
                fields=["status", "first_response_due"],
                condition=Q(first_responded_at__isnull=True),
                name="appeal_first_response_open_idx",
            ),
            # Staff desk: the default queue, most urgent first, among appeals being worked.
            models.Index(
                fields=["resolution_due", "first_response_due"],
                condition=Q(
                    status__in=["submitted", "in_review", "awaiting_borrower", "second_review"]
                ),
                name="appeal_queue_worked_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"A-{self.created_at:%Y}-{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def is_resolved(self) -> bool:
        return self.status in RESOLVED_STATES

    def transitions_include(self, status: str) -> bool:
        """Whether the appeal was ever in `status` (reads the prefetched log)."""
        return any(t.to_status == status for t in self.transitions.all())

    def grounds_display(self) -> list[str]:
        labels = dict(AppealGround.choices)
        return [str(labels.get(g, g)) for g in self.grounds]

    # --- transitions: only set fields on self ---

    @transition(field=status, source=S.DRAFT, target=S.SUBMITTED)
    def submit(self, *, at, first_response_due, resolution_due) -> None:
        self.submitted_at = at
        self.first_response_due = first_response_due
        self.resolution_due = resolution_due

    @transition(field=status, source=S.SUBMITTED, target=S.AUTO_APPROVED)
    def auto_approve(self, *, at, explanation, credit_decision) -> None:
        self.decided_at = at
        self.closed_at = at
        self.outcome_explanation = explanation
        self.credit_decision = credit_decision

    @transition(field=status, source=S.SUBMITTED, target=S.IN_REVIEW)
    def start_review(self, *, assignee) -> None:
        if self.assignee_id is None:
            self.assignee = assignee

    @transition(field=status, source=S.IN_REVIEW, target=S.AWAITING_BORROWER)
    def request_info(self, *, at, reply_due) -> None:
        self.awaiting_since = at
        self.borrower_reply_due = reply_due
        if self.first_responded_at is None:
            self.first_responded_at = at

    @transition(field=status, source=S.AWAITING_BORROWER, target=S.IN_REVIEW)
    def resume_review(self, *, resolution_due) -> None:
        self.resolution_due = resolution_due
        self.awaiting_since = None
        self.borrower_reply_due = None

    def _decide(self, *, at, actor, explanation) -> None:
        self.decided_at = at
        self.decided_by = actor
        self.outcome_explanation = explanation
        if self.first_responded_at is None:
            self.first_responded_at = at

    @transition(field=status, source=S.IN_REVIEW, target=S.APPROVED)
    def approve(self, *, at, actor, explanation, credit_decision) -> None:
        self._decide(at=at, actor=actor, explanation=explanation)
        self.credit_decision = credit_decision
        self.closed_at = at

    @transition(field=status, source=S.IN_REVIEW, target=S.PARTIALLY_APPROVED)
    def partially_approve(self, *, at, actor, explanation, credit_decision, granted_limit) -> None:
        self._decide(at=at, actor=actor, explanation=explanation)
        self.credit_decision = credit_decision
        self.granted_limit = granted_limit
        self.closed_at = at

    @transition(field=status, source=S.IN_REVIEW, target=S.DENIED)
    def deny(self, *, at, actor, explanation, second_review_until) -> None:
        self._decide(at=at, actor=actor, explanation=explanation)
        self.second_review_until = second_review_until
        self.closed_at = at

    @transition(field=status, source=S.DENIED, target=S.SECOND_REVIEW)
    def request_second_review(self, *, at, statement) -> None:
        self.second_review_requested_at = at
        self.second_review_statement = statement
        self.closed_at = None

    @transition(field=status, source=S.SECOND_REVIEW, target=S.APPROVED)
    def approve_on_second_review(self, *, at, actor, explanation, credit_decision) -> None:
        self.second_decided_at = at
        self.second_decided_by = actor
        self.outcome_explanation = explanation
        self.credit_decision = credit_decision
        self.closed_at = at

    @transition(field=status, source=S.SECOND_REVIEW, target=S.DENIED_FINAL)
    def deny_on_second_review(self, *, at, actor, explanation) -> None:
        self.second_decided_at = at
        self.second_decided_by = actor
        self.outcome_explanation = explanation
        self.closed_at = at

    @transition(field=status, source=list(OPEN_STATES), target=S.WITHDRAWN)
    def withdraw(self, *, at) -> None:
        self.closed_at = at
        self.awaiting_since = None
        self.borrower_reply_due = None


class AppealTransition(models.Model):
    """Every change of an appeal's state: who, when, from, to, and the comment given."""

    appeal = models.ForeignKey(Appeal, related_name="transitions", on_delete=models.CASCADE)
    from_status = models.CharField(_("from"), max_length=24, choices=AppealStatus.choices)
    to_status = models.CharField(_("to"), max_length=24, choices=AppealStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("appeal transition")
        verbose_name_plural = _("appeal transitions")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["appeal", "at"], name="appeal_transition_idx")]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Evidence(models.Model):
    """A supporting document, stored under PRIVATE_MEDIA_ROOT with a random file name."""

    appeal = models.ForeignKey(Appeal, related_name="evidence", on_delete=models.CASCADE)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(_("stored as"), max_length=200, unique=True)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["appeal", "uploaded_at"], name="appeal_evidence_idx")]

    def __str__(self) -> str:
        return self.original_name


class MessageKind(models.TextChoices):
    BORROWER = "borrower", _("From the borrower")
    STAFF_PUBLIC = "staff_public", _("Reply from our team")
    INTERNAL = "internal", _("Internal note")


class Message(models.Model):
    """One entry of the thread. Internal notes are for staff only, in every channel."""

    appeal = models.ForeignKey(Appeal, related_name="messages", on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["appeal", "kind", "created_at"], name="appeal_message_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.appeal_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind == MessageKind.INTERNAL


class Survey(models.Model):
    appeal = models.OneToOneField(Appeal, related_name="survey", on_delete=models.CASCADE)
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="appeal_survey_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.rating}"


# --- staff desk: holiday calendar, canned responses, agent availability, assignment and
# extension logs, SLA breaches ----------------------------------------------------------------


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


class CannedResponse(models.Model):
    """A reply staff start from, in both languages; the desk picks the borrower's."""

    title = models.CharField(_("title"), max_length=80, unique=True)
    body_zh = models.TextField(_("text (Chinese)"))
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
        return f"{self.agent_id}: {'away' if self.away else 'available'}"


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
