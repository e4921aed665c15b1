"""A second review after a denial: asked by the borrower within the window, decided by a
supervisor who did not take the first decision."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import notices
from ..models import Appeal
from ..selectors import second_review_by_reviewer, second_reviewers
from ._input import clean_text
from ._transition import AppealPermissionDenied, appeal_transition, require_staff
from .decisions import postpone_closure_after_denial, reinstate_line
from .drafting import line_has_open_appeal


@transaction.atomic
def appeal_request_second_review(*, appeal: Appeal, actor, statement: str = "") -> Appeal:
    """denied → second_review, by the borrower within the window after the denial's notice.
    The appeal is open again (it holds a closing line's closure); every supervisor who may
    decide it (not the first decider) is told there is one to take."""
    statement = clean_text(statement, field="statement", required=False)
    with appeal_transition(
        appeal, "request_second_review", _("sent to a second review"), actor=actor, borrower=True
    ) as step:
        appeal, now = step.appeal, step.now
        if appeal.second_review_until is None or now > appeal.second_review_until:
            raise ValidationError(
                _("The time to ask for a second review has passed."), code="window"
            )
        if line_has_open_appeal(appeal.line_id):
            raise ValidationError(
                _("You already have an open appeal for this credit line."), code="open_appeal"
            )
        step.apply(
            at=now,
            statement=statement,
            due=now + timedelta(days=settings.APPEAL_SECOND_REVIEW_DECISION_DAYS),
        )
        step.comment = statement

        def tell_supervisors():
            for supervisor in second_reviewers(exclude_id=appeal.decided_by_id):
                notices.staff_second_review_needed(supervisor, appeal)

        step.then(tell_supervisors)
    return appeal


def _may_decide_second_review(actor):
    """A supervisor who did not take the first decision; or, when the first decider is the
    only supervisor, a reviewer who did not take it (a second review can always be decided)."""

    def check(appeal: Appeal) -> None:
        if appeal.decided_by_id == actor.pk:
            raise AppealPermissionDenied(
                _("A second review must be decided by someone other than the first reviewer.")
            )
        if second_review_by_reviewer(exclude_id=appeal.decided_by_id):
            require_staff(actor, "decide_appeal")
        else:
            require_staff(actor, "decide_second_review")

    return check


@transaction.atomic
def appeal_decide_second_review(
    *, appeal: Appeal, actor, approve: bool, explanation: str
) -> Appeal:
    """second_review → approved | denied_final, by a supervisor who did not take the first
    decision (a reviewer when the first decider is the only supervisor). Approval restores
    the line in full; a final denial moves a closing line's closure as after the first
    denial."""
    name = "approve_on_second_review" if approve else "deny_on_second_review"
    with appeal_transition(
        appeal,
        name,
        _("decided on second review"),
        actor=actor,
        check=_may_decide_second_review(actor),
    ) as step:
        explanation = clean_text(explanation, field="explanation", required=True)
        appeal, now = step.appeal, step.now
        step.comment = explanation
        if approve:
            credit_decision = reinstate_line(
                appeal,
                actor=actor,
                note=f"Appeal {appeal.reference} approved on second review.",
                new_limit=None,
            )
            step.apply(
                at=now, actor=actor, explanation=explanation, credit_decision=credit_decision
            )
            step.then(
                lambda: notices.appeal_decided(
                    appeal, outcome="approved", explanation=explanation, second_review=True
                )
            )
            return appeal
        step.apply(at=now, actor=actor, explanation=explanation)
        closes_at = postpone_closure_after_denial(appeal, actor=actor, now=now)
        step.then(
            lambda: notices.appeal_decided(
                appeal,
                outcome="denied",
                explanation=notices.denial_text(explanation, closes_at, appeal.borrower),
                second_review=True,
            )
        )
    return appeal
