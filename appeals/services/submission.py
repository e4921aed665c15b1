"""Submitting an appeal, the automatic re-evaluation that may approve it, and withdrawing."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from credit import services as credit_services
from credit.appealability import appeal_until
from credit.models import (
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
)
from credit.selectors import NoActiveRules
from jobs.services import job_enqueue

from .. import notices
from ..models import Appeal, AppealStatus
from ._transition import appeal_transition
from .assignment import appeal_assign_new
from .clocks import desk_due_dates

logger = logging.getLogger(__name__)
S = AppealStatus


@transaction.atomic
def appeal_submit(*, appeal: Appeal, actor) -> Appeal:
    """Submit a draft: draft → submitted.

    Rules: only the borrower; at least one reason for appeal and a statement; the decision
    still within its appeal window. Sets the due dates (appeals.clock, on the holiday
    calendar), tells the borrower, gives the appeal to the least-loaded agent, and queues the
    re-evaluation of the line on commit (`appeals.auto_review`), which approves the appeal
    automatically if the decision no longer stands. A denial is never automatic.
    """
    # In its own context: "submitted" alone is also the column "submitted" (提交时间).
    doing = pgettext("appeal act refused", "submitted")
    with appeal_transition(appeal, "submit", doing, actor=actor, borrower=True) as step:
        appeal = step.appeal
        errors = {}
        if not appeal.grounds:
            errors["grounds"] = _("Choose at least one reason for your appeal.")
        if not appeal.statement.strip():
            errors["statement"] = _("Tell us in a few words why the decision should change.")
        if errors:
            raise ValidationError(errors)
        if appeal_until(appeal.decision, now=step.now) is None:
            raise ValidationError(
                {"decision": _("The time to appeal this decision has passed.")}, code="window"
            )
        due = desk_due_dates(step.now)
        step.apply(
            at=step.now,
            first_response_due=due.first_response_due,
            resolution_due=due.resolution_due,
        )
        step.then(lambda: notices.appeal_submitted(appeal))
    appeal = appeal_assign_new(appeal=appeal)
    # Written with the submission: a broker outage delays the review, never loses it.
    job_enqueue(task="appeals.auto_review", args=[appeal.pk])
    return appeal


def _decision_still_stands(decision: CreditDecision, line: CreditLine) -> bool:
    if decision.outcome in (DecisionOutcome.SCHEDULE_CLOSURE, DecisionOutcome.CLOSE):
        return line.status in (CreditLineStatus.CLOSING, CreditLineStatus.CLOSED)
    if decision.outcome == DecisionOutcome.FREEZE:
        return line.status == CreditLineStatus.FROZEN
    if decision.outcome == DecisionOutcome.REDUCE_LIMIT:
        return line.status != CreditLineStatus.ACTIVE or line.credit_limit < decision.old_limit
    return True


@transaction.atomic
def appeal_auto_review(*, appeal_id: int) -> Appeal | None:
    """Re-evaluate the line of a just-submitted appeal; submitted → auto_approved if the
    decision no longer stands (the line is restored by the re-evaluation, or already was).

    Idempotent: runs once per appeal (`auto_reviewed_at`), only while it is still submitted.
    Otherwise the appeal simply waits for a person: no denial is ever automatic. The appeal
    row is locked once, for the whole run.
    """
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("borrower", "line", "decision")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None or appeal.status != S.SUBMITTED or appeal.auto_reviewed_at:
        return appeal
    now = timezone.now()
    appeal.auto_reviewed_at = now
    appeal.save(update_fields=["auto_reviewed_at"])
    try:
        credit_decision = credit_services.credit_line_reevaluate(
            line=appeal.line, trigger=DecisionTrigger.APPEAL
        )
    except NoActiveRules:
        logger.warning("No active rules: appeal %s waits for a person", appeal.reference)
        return appeal
    appeal.line.refresh_from_db()
    if _decision_still_stands(appeal.decision, appeal.line):
        return appeal
    with appeal_transition(
        appeal, "auto_approve", _("approved"), actor=None, locked=True, now=now
    ) as step:
        # The page words the automatic approval itself; the notice carries both languages.
        step.apply(at=now, explanation="", credit_decision=credit_decision)
        step.comment = "re-evaluation on submission"
        step.then(
            lambda: notices.appeal_decided(
                appeal, outcome="approved", explanation=notices.auto_approval_explanation()
            )
        )
    return appeal


@transaction.atomic
def appeal_withdraw(*, appeal: Appeal, actor) -> Appeal:
    """Any state being worked → withdrawn, by the borrower only. The hold on the closure ends.
    A draft was never sent: withdrawing it discards it (`appeal_discard`)."""
    if appeal.status == S.DRAFT:
        return appeal_discard(appeal=appeal, actor=actor)
    with appeal_transition(appeal, "withdraw", _("withdrawn"), actor=actor, borrower=True) as step:
        step.apply(at=step.now)
    return step.appeal


@transaction.atomic
def appeal_discard(*, appeal: Appeal, actor) -> Appeal:
    """draft → discarded, by the borrower only. Nothing was sent, so nobody else is told and
    the draft leaves the borrower's list; the line may be appealed again while it can be."""
    with appeal_transition(appeal, "discard", _("discarded"), actor=actor, borrower=True) as step:
        step.apply(at=step.now)
    return step.appeal
