"""The appeal case and its state machine.

Transitions only set fields on the appeal; `appeals.services` locks the row, checks who may
act, calls the transition, saves, logs it and notifies on commit.
"""

import re
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from .. import states
from ..states import BEING_WORKED_STATES, OPEN_STATES, RESOLVED_STATES


class AppealStatus(models.TextChoices):
    DRAFT = states.DRAFT, _("Draft")
    SUBMITTED = states.SUBMITTED, _("Submitted")
    IN_REVIEW = states.IN_REVIEW, _("Under review")
    AWAITING_BORROWER = states.AWAITING_BORROWER, _("We need more information")
    APPROVED = states.APPROVED, _("Approved")
    PARTIALLY_APPROVED = states.PARTIALLY_APPROVED, _("Partly approved")
    AUTO_APPROVED = states.AUTO_APPROVED, _("Approved")
    DENIED = states.DENIED, _("Not approved")
    SECOND_REVIEW = states.SECOND_REVIEW, _("Second review")
    DENIED_FINAL = states.DENIED_FINAL, _("Not approved after second review")
    WITHDRAWN = states.WITHDRAWN, _("Withdrawn")
    RESOLVED = states.RESOLVED, _("Resolved: your credit line was restored")
    DISCARDED = states.DISCARDED, _("Draft discarded")


S = AppealStatus

# An appeal's reference, e.g. "A-2026-000123": the year it was started and its id. Staff may
# search by the full reference or the id alone.
_REFERENCE_RE = re.compile(r"^(?:A-\d{4}-)?0*(\d{1,12})$", re.IGNORECASE)


def appeal_reference(*, pk: int | None, created_at: datetime) -> str:
    """The reference borrowers and staff quote for an appeal."""
    return f"A-{created_at:%Y}-{pk or 0:06d}"


def appeal_id_from_reference(term: str) -> int | None:
    """The appeal id a reference (or a bare id) names, or None when `term` is not one."""
    match = _REFERENCE_RE.match(term.strip())
    return int(match.group(1)) if match else None


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
    # SLA seams for the staff desk: computed by appeals.clock, paused while awaiting the borrower.
    first_response_due = models.DateTimeField(_("reply expected by"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("decision expected by"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    awaiting_since = models.DateTimeField(
        _("waiting for the borrower since"), null=True, blank=True
    )
    borrower_reply_due = models.DateTimeField(_("borrower's reply due"), null=True, blank=True)
    auto_reviewed_at = models.DateTimeField(_("re-evaluated on submission"), null=True, blank=True)
    # The desk: the borrower wrote or added a document and staff have not answered since
    # (cleared by a staff reply, a request for information or a decision).
    borrower_replied_at = models.DateTimeField(_("borrower replied"), null=True, blank=True)
    # The hand-off from the agent to a reviewer: the case is ready for a decision.
    ready_for_decision_at = models.DateTimeField(_("ready for decision"), null=True, blank=True)
    ready_for_decision_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        verbose_name=_("handed over by"),
    )
    decision_summary = models.TextField(_("summary for the reviewer"), blank=True, db_default="")
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
    second_review_due = models.DateTimeField(
        _("second review decision expected by"), null=True, blank=True
    )
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
    # The staff queue's urgency, stored by the database from the columns above (so no code
    # path, not even a queryset .update(), can leave it stale) and indexed:
    # - clock_due: when the nearest running clock is due (first response while owed, the
    #   decision; a second review's decision), NULL when no clock runs (paused, closed).
    #   Breached ⇔ clock_due < now (selectors.breached_q).
    # - reply_rank: 0 when a borrower's reply waits on an appeal being worked, else 1.
    clock_due = models.GeneratedField(
        expression=models.Case(
            models.When(
                Q(status__in=list(states.RUNNING_STATES)),
                then=Least(
                    Coalesce(
                        models.Case(
                            models.When(
                                first_responded_at__isnull=True, then=F("first_response_due")
                            )
                        ),
                        F("resolution_due"),
                    ),
                    F("resolution_due"),
                ),
            ),
            models.When(status=states.SECOND_REVIEW, then=F("second_review_due")),
            default=None,
        ),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
        verbose_name=_("nearest clock due"),
    )
    reply_rank = models.GeneratedField(
        expression=models.Case(
            models.When(
                Q(status__in=list(BEING_WORKED_STATES), borrower_replied_at__isnull=False),
                then=models.Value(0),
            ),
            default=models.Value(1),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("work_appeal", "Can work an appeal (start review, reply, internal notes)"),
            ("request_info", "Can ask the borrower for more information"),
            ("decide_appeal", "Can approve, partly approve or deny an appeal"),
            ("decide_second_review", "Can decide a second review"),
            ("export_appeal", "Can export appeals as CSV (audited)"),
            ("view_lessons", "Can see what appeals teach the scorecard"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(status__in=list(OPEN_STATES)),
                name="appeal_one_open_per_line",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "resolution_due"], name="appeal_status_due_idx"),
            models.Index(fields=["assignee", "status"], name="appeal_assignee_idx"),
            models.Index(fields=["borrower", "-created_at"], name="appeal_borrower_idx"),
            # The appeals report: opened per day, and resolved per day (with what it groups by).
            models.Index(
                fields=["submitted_at"],
                condition=Q(submitted_at__isnull=False),
                name="appeal_submitted_idx",
            ),
            models.Index(
                fields=["closed_at", "status"],
                condition=Q(closed_at__isnull=False),
                name="appeal_closed_idx",
            ),
            # Staff desk: the "breached" queue (first response still owed).
            models.Index(
                fields=["status", "first_response_due"],
                condition=Q(first_responded_at__isnull=True),
                name="appeal_first_response_open_idx",
            ),
            # Staff desk: the default queue, most urgent first, among appeals being worked.
            models.Index(
                fields=["resolution_due", "first_response_due"],
                condition=Q(status__in=list(BEING_WORKED_STATES)),
                name="appeal_queue_worked_idx",
            ),
            # Staff desk, the default order (desk/queue.py, UrgencyPaginator): the breached
            # part by its clock, the rest by reply, then due times, read off the index.
            models.Index(
                fields=["clock_due"],
                condition=Q(status__in=list(BEING_WORKED_STATES)),
                name="appeal_queue_clock_idx",
            ),
            models.Index(
                fields=["reply_rank", "resolution_due", "first_response_due", "-id"],
                condition=Q(status__in=list(BEING_WORKED_STATES)),
                name="appeal_queue_urgency_idx",
            ),
            models.Index(
                fields=["assignee", "reply_rank", "resolution_due", "first_response_due", "-id"],
                condition=Q(status__in=list(BEING_WORKED_STATES)),
                name="appeal_queue_mine_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return appeal_reference(pk=self.pk, created_at=self.created_at)

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
        self.borrower_replied_at = None
        self.ready_for_decision_at = None  # the reviewer waits for the answer first
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
        self.borrower_replied_at = None
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
    def request_second_review(self, *, at, statement, due) -> None:
        self.second_review_requested_at = at
        self.second_review_due = due
        self.second_review_statement = statement
        self.closed_at = None

    @transition(field=status, source=S.SECOND_REVIEW, target=S.APPROVED)
    def approve_on_second_review(self, *, at, actor, explanation, credit_decision) -> None:
        self.second_decided_at = at
        self.second_decided_by = actor
        self.outcome_explanation = explanation
        self.credit_decision = credit_decision
        self.borrower_replied_at = None
        self.closed_at = at

    @transition(field=status, source=S.SECOND_REVIEW, target=S.DENIED_FINAL)
    def deny_on_second_review(self, *, at, actor, explanation) -> None:
        self.second_decided_at = at
        self.second_decided_by = actor
        self.outcome_explanation = explanation
        self.borrower_replied_at = None
        self.closed_at = at

    @transition(field=status, source=list(BEING_WORKED_STATES), target=S.RESOLVED)
    def resolve_moot(self, *, at, credit_decision) -> None:
        """Nothing is left to decide: the line was restored while the appeal was worked."""
        self.closed_at = at
        self.credit_decision = credit_decision
        self.awaiting_since = None
        self.borrower_reply_due = None

    @transition(field=status, source=S.DRAFT, target=S.DISCARDED)
    def discard(self, *, at) -> None:
        self.closed_at = at

    @transition(field=status, source=list(BEING_WORKED_STATES), target=S.WITHDRAWN)
    def withdraw(self, *, at) -> None:
        self.closed_at = at
        self.borrower_replied_at = None
        self.awaiting_since = None
        self.borrower_reply_due = None
