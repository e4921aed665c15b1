"""Reads for the staff desk: the calendar, who works and decides appeals, the case page, the
queue. Staff getters are not scoped to a person: the admin checks the role first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.roles import AGENT, REVIEWER, SUPERVISOR, staff_holding

from .. import assignment, clock
from ..models import (
    BEING_WORKED_STATES,
    AgentAvailability,
    Appeal,
    AppealAssignment,
    AppealExtension,
    AppealStatus,
    AppealTransition,
    CalendarDay,
    CalendarDayKind,
    CannedResponse,
    Evidence,
    Message,
    MessageKind,
)

S = AppealStatus


def business_calendar() -> clock.BusinessCalendar:
    """The holiday calendar as the pure clock takes it, in the desk's time zone."""
    holidays, workdays = [], []
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (workdays if kind == CalendarDayKind.WORKDAY else holidays).append(day)
    return clock.BusinessCalendar.build(settings.TIME_ZONE, holidays, workdays)


def _staff_in(role: str) -> QuerySet:
    return get_user_model().objects.filter(is_active=True, is_staff=True, groups__name=role)


def supervisors(*, exclude_id: int | None = None) -> QuerySet:
    """Active staff who may decide a second review (the supervisor role grants it): they
    decide escalations and are told of missed due times. `exclude_id`: the first decider."""
    return staff_holding("appeals.decide_second_review", exclude_id=exclude_id)


def reviewers() -> QuerySet:
    """Active staff who may decide an appeal (reviewers and supervisors): the hand-off's
    choices."""
    return staff_holding("appeals.decide_appeal")


def second_reviewers(*, exclude_id: int | None) -> list:
    """Who may decide this second review: every supervisor but the first decider; when the
    first decider is the only supervisor, every reviewer (who decides appeals) but them, so
    a second review can always be decided by a different person."""
    if second_review_by_reviewer(exclude_id=exclude_id):
        return list(reviewers().exclude(pk=exclude_id))
    return list(supervisors(exclude_id=exclude_id))


def second_review_by_reviewer(*, exclude_id: int | None) -> bool:
    """True when the first decider is the only supervisor: a reviewer then decides it."""
    if exclude_id is None or not supervisors().filter(pk=exclude_id).exists():
        return False
    return not supervisors(exclude_id=exclude_id).exists()


def assignment_candidates() -> dict[int, assignment.Candidate]:
    """Every active agent with their load, last assignment and whether they are away."""
    agent_ids = list(_staff_in(AGENT).values_list("pk", flat=True))
    loads = dict(
        Appeal.objects.filter(assignee_id__in=agent_ids, status__in=list(BEING_WORKED_STATES))
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    last = dict(
        AppealAssignment.objects.filter(to_assignee_id__in=agent_ids)
        .values_list("to_assignee_id")
        .annotate(last=Max("at"))
        .values_list("to_assignee_id", "last")
    )
    away = set(
        AgentAvailability.objects.filter(agent_id__in=agent_ids, away=True).values_list(
            "agent_id", flat=True
        )
    )
    return {
        pk: assignment.Candidate(
            agent_id=pk,
            open_appeals=loads.get(pk, 0),
            last_assigned_at=last.get(pk),
            away=pk in away,
        )
        for pk in agent_ids
    }


def people_who_can_work() -> QuerySet:
    """Reassignment targets: active staff holding a role that works appeals (reviewers
    included: a case handed over for a decision is given to one)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, is_staff=True, groups__name__in=[AGENT, REVIEWER, SUPERVISOR]
        )
        .distinct()
        .order_by("full_name", "pk")
    )


def canned_responses() -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(active=True).order_by("title")


def appeal_get_for_staff(*, appeal_id) -> Appeal:
    """One appeal with everything the case page shows (staff: internal notes included)."""
    return (
        Appeal.objects.select_related(
            "borrower",
            "line",
            "decision",
            "decision__scorecard",
            "decision__policy",
            "assignee",
            "ready_for_decision_by",
            "decided_by",
            "second_decided_by",
            "credit_decision",
        )
        .prefetch_related(
            "decision__reasons__reason_code",
            "decision__reasons__wording",
            Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
            Prefetch("messages", queryset=Message.objects.select_related("author")),
            Prefetch(
                "transitions",
                queryset=AppealTransition.objects.select_related("actor").order_by("at", "id"),
            ),
            Prefetch(
                "assignments",
                queryset=AppealAssignment.objects.select_related(
                    "from_assignee", "to_assignee", "actor"
                ),
            ),
            Prefetch("extensions", queryset=AppealExtension.objects.select_related("actor")),
        )
        .get(pk=appeal_id)
    )


def breached_q(now: datetime) -> Q:
    """Appeals being worked whose first response or decision (or second review's decision)
    is overdue, the clocks running: their stored nearest due time (Appeal.clock_due, NULL
    while paused or closed) has passed. One indexed range (appeal_queue_clock_idx)."""
    return Q(status__in=list(BEING_WORKED_STATES), clock_due__lt=now)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # transition | assignment | extension | message | evidence
    actor: object
    title: str
    detail: str


def staff_timeline(appeal: Appeal) -> list[TimelineEntry]:
    """The case's history in one list, oldest first (from the prefetched rows): transitions,
    (re)assignments, extensions, messages (replies, internal notes, the borrower's) and
    documents added."""
    labels = dict(AppealStatus.choices)
    entries = [
        TimelineEntry(
            t.at,
            "transition",
            t.actor,
            f"{labels.get(t.from_status, t.from_status)} → {labels.get(t.to_status, t.to_status)}",
            t.comment,
        )
        for t in appeal.transitions.all()
    ]
    for a in appeal.assignments.all():
        if a.from_assignee is None:
            title = _("Assigned to %(to)s") % {"to": a.to_assignee.full_name}
        else:
            title = _("Reassigned from %(from)s to %(to)s") % {
                "from": a.from_assignee.full_name,
                "to": a.to_assignee.full_name,
            }
        entries.append(TimelineEntry(a.at, "assignment", a.actor, title, a.reason))
    for e in appeal.extensions.all():
        entries.append(
            TimelineEntry(
                e.at,
                "extension",
                e.actor,
                _("Extended by %(days)s days") % {"days": e.days_added},
                e.reason,
            )
        )
    titles = {
        MessageKind.STAFF_PUBLIC: _("Reply to the borrower"),
        MessageKind.INTERNAL: _("Internal note"),
        MessageKind.BORROWER: _("Message from the borrower"),
    }
    for m in appeal.messages.all():
        title = titles.get(m.kind, m.get_kind_display())
        entries.append(TimelineEntry(m.created_at, f"message-{m.kind}", m.author, title, m.body))
    for item in appeal.evidence.all():
        title = _("Document added: %(name)s") % {"name": item.original_name}
        entries.append(TimelineEntry(item.uploaded_at, "evidence", item.uploaded_by, title, ""))
    return sorted(entries, key=lambda e: e.at)
