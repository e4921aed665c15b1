"""What the borrower's appeal pages show, built from an appeal (no writes)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from credit.models import ReasonCategory

from .models import AppealGround, AppealStatus

S = AppealStatus

# Evidence that helps, by the category of the decision's reasons.
EVIDENCE_HINTS = {
    ReasonCategory.REPAYMENT: _(
        "Bank statements or repayment receipts that show you paid on time, or a settlement "
        "certificate for an overdue debt elsewhere."
    ),
    ReasonCategory.MULTI_LENDING: _(
        "Settlement certificates for loans you have closed at other platforms."
    ),
    ReasonCategory.SCORE_CHANGE: _(
        "Your latest credit report, and proof of income such as payslips or a tax record."
    ),
    ReasonCategory.POLICY_ADJUSTMENT: _(
        "Anything that shows how you use your credit line and repay it."
    ),
    ReasonCategory.REGULATORY: _("A valid identity document (both sides)."),
    ReasonCategory.SYSTEM_ERROR: _("Screenshots or records that show what went wrong."),
}
GROUND_HINTS = {
    AppealGround.REPAID_ON_TIME: _("Repayment receipts or bank statements."),
    AppealGround.CLOSED_OTHER_LOANS: _("Settlement certificates from the other platforms."),
    AppealGround.INFORMATION_WRONG: _("A document that shows the correct information."),
    AppealGround.TEMPORARY_HARDSHIP: _(
        "Anything that shows the difficulty has passed, e.g. a new employment contract."
    ),
}


def evidence_hints(decision) -> list[str]:
    categories = []
    for reason in decision.reasons.all():
        category = reason.reason_code.category
        if category in EVIDENCE_HINTS and category not in categories:
            categories.append(category)
    return [EVIDENCE_HINTS[c] for c in categories]


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done | current | todo | stopped


def stepper(appeal) -> list[Step]:
    """Submitted → Under review → (more information) → Decision, as the borrower sees it."""
    status = appeal.status
    decided_label = {
        S.APPROVED: _("Approved"),
        S.AUTO_APPROVED: _("Approved"),
        S.PARTIALLY_APPROVED: _("Partly approved"),
        S.DENIED: _("Not approved"),
        S.DENIED_FINAL: _("Not approved"),
        S.WITHDRAWN: _("Withdrawn"),
        S.RESOLVED: _("Resolved: your credit line was restored"),
    }.get(status, _("Decision"))
    order = [S.DRAFT, S.SUBMITTED, S.IN_REVIEW]
    steps = [
        Step(_("Draft"), "done" if status != S.DRAFT else "current"),
        Step(
            _("Submitted"),
            "todo" if status == S.DRAFT else ("current" if status == S.SUBMITTED else "done"),
        ),
    ]
    if status == S.AUTO_APPROVED:
        steps.append(Step(decided_label, "done"))
        return steps
    review_state = "todo"
    if status == S.IN_REVIEW:
        review_state = "current"
    elif status not in order:
        review_state = "done"
    steps.append(Step(_("Under review"), review_state))
    if status == S.AWAITING_BORROWER or appeal.transitions_include(S.AWAITING_BORROWER):
        steps.append(
            Step(
                _("We need more information"),
                "current" if status == S.AWAITING_BORROWER else "done",
            )
        )
    if status in (S.SECOND_REVIEW, S.DENIED_FINAL) or (
        status == S.APPROVED and appeal.second_review_requested_at
    ):
        steps.append(Step(_("Not approved"), "done"))
        steps.append(Step(_("Second review"), "current" if status == S.SECOND_REVIEW else "done"))
        if status == S.SECOND_REVIEW:
            steps.append(Step(_("Decision"), "todo"))
            return steps
    if status == S.WITHDRAWN:
        steps = [s if s.state != "todo" else Step(s.label, "stopped") for s in steps]
        steps.append(Step(decided_label, "stopped"))
        return steps
    final = status in (S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.DENIED_FINAL, S.RESOLVED)
    steps.append(Step(decided_label, "done" if final else "todo"))
    return steps


def actor_label(transition, appeal) -> str:
    if transition.actor_id is None:
        return _("Automatic review")
    if transition.actor_id == appeal.borrower_id:
        return _("You")
    return _("Our team")
