"""Who works an appeal: automatic assignment on submission, taking it into review, manual
assignment and reassignment, and agents away.

Every assignment writes its AppealAssignment row (from, to, by, when, why): the least-loaded
rule reads those rows to deal appeals round the team, and the case page shows them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import assignment, audited, notices
from ..models import AgentAvailability, Appeal, AppealAssignment, AppealStatus, Message, MessageKind
from ..selectors import assignment_candidates
from ._input import clean_text
from ._transition import appeal_transition, lock_appeal, require_staff

logger = logging.getLogger(__name__)
S = AppealStatus


def _lock_assignment() -> None:
    # Two submissions at once must not both see the same "least loaded" agent.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('appeals.assignment'))")


def _record(appeal: Appeal, *, to, previous_id, actor, reason: str, at: datetime) -> None:
    AppealAssignment.objects.create(
        appeal=appeal,
        from_assignee_id=previous_id,
        to_assignee=to,
        actor=actor,
        at=at,
        reason=reason,
    )
    audited.assignment(appeal, previous_id=previous_id, to=to, actor=actor, at=at)


def _give(appeal: Appeal, *, to, actor, reason: str = "") -> Appeal:
    """Set the assignee of the locked appeal, log it, and tell them unless they took it."""
    previous_id = appeal.assignee_id
    appeal.assignee = to
    appeal.save(update_fields=["assignee"])
    _record(appeal, to=to, previous_id=previous_id, actor=actor, reason=reason, at=timezone.now())
    if (actor is None or to.pk != actor.pk) and appeal.first_response_due:
        notices.staff_appeal_assigned(to, appeal)
    return appeal


@transaction.atomic
def appeal_assign_new(*, appeal: Appeal) -> Appeal:
    """Give a just-submitted, unassigned appeal to the least-loaded active agent who is not
    away (appeals.assignment); they are told (`staff.appeal_assigned`) and it is logged.
    With nobody available the appeal stays unassigned in the queue."""
    appeal = lock_appeal(appeal)
    if appeal.assignee_id is not None or appeal.status not in (S.SUBMITTED, S.IN_REVIEW):
        return appeal
    _lock_assignment()
    agent_id = assignment.pick_agent(assignment_candidates().values())
    if agent_id is None:
        logger.warning("No agent available: appeal %s waits unassigned", appeal.reference)
        return appeal
    return _give(appeal, to=get_user_model().objects.get(pk=agent_id), actor=None)


@transaction.atomic
def appeal_start_review(*, appeal: Appeal, actor) -> Appeal:
    """submitted → in_review, by staff who work appeals; an unassigned appeal becomes theirs
    (and that assignment is logged like any other)."""
    with appeal_transition(
        appeal, "start_review", _("taken into review"), actor=actor, permission="work_appeal"
    ) as step:
        appeal = step.appeal
        unassigned = appeal.assignee_id is None
        step.apply(assignee=actor)
        if unassigned:
            _record(appeal, to=actor, previous_id=None, actor=actor, reason="", at=step.now)
    return appeal


@transaction.atomic
def appeal_assign(*, appeal: Appeal, assignee, actor, reason: str = "") -> Appeal:
    """Give the appeal to a staff member who can work it; they are told unless they took it."""
    require_staff(actor, "work_appeal")
    if not (assignee.is_staff and assignee.is_active and assignee.has_perm("appeals.work_appeal")):
        raise ValidationError({"assignee": _("This person cannot work appeals.")})
    return _give(lock_appeal(appeal), to=assignee, actor=actor, reason=reason)


@transaction.atomic
def appeal_reassign(*, appeal: Appeal, assignee, actor, reason: str) -> Appeal:
    """A supervisor gives an open appeal to another person who can work it, with a reason.
    Logged (from, to, by, when, why); the new assignee is told."""
    require_staff(actor, "reassign_appeal")
    reason = clean_text(reason, field="reason", required=True, max_length=1000)
    appeal = lock_appeal(appeal)
    if not appeal.is_open or appeal.status == S.DRAFT:
        raise ValidationError(
            _("This appeal is now “%(status)s”, so it cannot be reassigned.")
            % {"status": appeal.get_status_display()},
            code="state",
        )
    if assignee is None or assignee.pk == appeal.assignee_id:
        raise ValidationError({"assignee": _("Choose someone other than the current assignee.")})
    return appeal_assign(appeal=appeal, assignee=assignee, actor=actor, reason=reason)


@transaction.atomic
def appeal_mark_ready_for_decision(*, appeal: Appeal, actor, summary: str, reviewer=None) -> Appeal:
    """The agent hands an appeal under review to a reviewer: "ready for decision", with a
    summary (kept as an internal note, shown to the reviewer). With `reviewer` (someone who
    may decide) the appeal is given to them, logged and they are told; without, it waits in
    the reviewers' "ready for decision" queue."""
    require_staff(actor, "work_appeal")
    summary = clean_text(summary, field="summary", required=True)
    appeal = lock_appeal(appeal)
    if appeal.status != S.IN_REVIEW:
        raise ValidationError(
            _("Only an appeal under review can be handed over for a decision."), code="state"
        )
    if reviewer is not None and not (
        reviewer.is_active and reviewer.is_staff and reviewer.has_perm("appeals.decide_appeal")
    ):
        raise ValidationError({"reviewer": _("This person cannot decide appeals.")})
    now = timezone.now()
    appeal.ready_for_decision_at = now
    appeal.ready_for_decision_by = actor
    appeal.decision_summary = summary
    appeal.save(
        update_fields=["ready_for_decision_at", "ready_for_decision_by", "decision_summary"]
    )
    Message.objects.create(
        appeal=appeal,
        author=actor,
        kind=MessageKind.INTERNAL,
        body=_("Ready for decision: %(summary)s") % {"summary": summary},
        created_at=now,
    )
    if reviewer is not None and reviewer.pk != appeal.assignee_id:
        _give(appeal, to=reviewer, actor=actor, reason=_("Ready for decision"))
    return appeal


@transaction.atomic
def agent_set_away(*, agent, away: bool, actor, note: str = "") -> AgentAvailability:
    """Mark an agent away (they get no new appeals) or back. Supervisors only; an agent may
    mark themselves."""
    if actor is None or actor.pk != agent.pk:
        require_staff(actor, "set_agent_away")
    note = clean_text(note, field="note", required=False, max_length=200)
    row, _created = AgentAvailability.objects.select_for_update().get_or_create(agent=agent)
    row.away = bool(away)
    row.note = note
    row.updated_at = timezone.now()
    row.save()
    return row
