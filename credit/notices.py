"""The one place the credit app tells borrowers about decisions (notifications.notify).

Each adverse outcome and each reinstatement sends its event the same day, from inside the
deciding transaction: notify() writes outbox rows there and queues delivery on commit. The
context keys are the ones the notifications catalogue declares for each event.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.localtime import local_date
from notifications.registry import (
    ALL_CHANNELS,
    STAFF_CATEGORY,
    STAFF_CHANNELS,
    Audience,
    CategorySpec,
    EventSpec,
    register,
    register_category,
)
from notifications.services import notify

from .appealability import appeal_deadline
from .models import (
    ADVERSE_OUTCOMES,
    CreditDecision,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
)

EVENT_BY_OUTCOME = {
    DecisionOutcome.SCHEDULE_CLOSURE: "credit.closure_scheduled",
    DecisionOutcome.CLOSE: "credit.closed",
    DecisionOutcome.REDUCE_LIMIT: "credit.limit_reduced",
    DecisionOutcome.FREEZE: "credit.frozen",
    DecisionOutcome.REINSTATE: "credit.reinstated",
}
SYSTEM_ERROR_CORRECTED = "credit.system_error_corrected"

REINSTATED_EXPLANATION = {
    "zh-hans": "此前调整额度的原因已不再适用，您的额度已恢复正常可用。",
    "en": (
        "The reasons for the earlier change no longer apply, so your credit line is active again."
    ),
}


def told_by_the_caller(decision: CreditDecision) -> bool:
    """A decision taken on an appeal that restores the line or only moves a closure's date is
    told by the appeal's own outcome message (approved, partially approved, denied with the
    new closure date), so the borrower gets one message per channel for one act. An adverse
    change a re-evaluation finds while an appeal is handled is still told here."""
    if decision.trigger != DecisionTrigger.APPEAL:
        return False
    return decision.outcome == DecisionOutcome.REINSTATE or (
        decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
        and decision.old_status == CreditLineStatus.CLOSING
    )


def event_for(decision: CreditDecision) -> str | None:
    """The event that tells the borrower of this decision; None when credit sends none."""
    if told_by_the_caller(decision):
        return None
    if (
        decision.outcome == DecisionOutcome.REINSTATE
        and decision.trigger == DecisionTrigger.CORRECTION
    ):
        return SYSTEM_ERROR_CORRECTED
    return EVENT_BY_OUTCOME.get(decision.outcome)


def _reasons(reasons) -> list[dict]:
    return [
        {"zh-hans": r.title_zh, "en": r.title_en} for r in sorted(reasons, key=lambda r: r.rank)
    ]


def decision_context(decision: CreditDecision, *, recipient, reasons) -> dict:
    """The context the event of this decision declares: dates as ISO dates in the borrower's
    time zone, amounts as strings, reasons as ranked {"zh-hans", "en"} titles."""
    decided_on = local_date(decision.created_at, recipient)
    appeal_by = local_date(appeal_deadline(decision.created_at), recipient).isoformat()
    outcome = decision.outcome
    if outcome == DecisionOutcome.SCHEDULE_CLOSURE:
        return {
            "closing_effective_on": local_date(
                decision.closing_effective_at, recipient
            ).isoformat(),
            "credit_limit": str(decision.new_limit),
            "reasons": _reasons(reasons),
            "appeal_by": appeal_by,
        }
    if outcome == DecisionOutcome.CLOSE:
        return {
            "closed_on": decided_on.isoformat(),
            "reasons": _reasons(reasons),
            "appeal_by": appeal_by,
        }
    if outcome == DecisionOutcome.REDUCE_LIMIT:
        return {
            "old_limit": str(decision.old_limit),
            "new_limit": str(decision.new_limit),
            "effective_on": decided_on.isoformat(),
            "reasons": _reasons(reasons),
            "appeal_by": appeal_by,
        }
    if outcome == DecisionOutcome.FREEZE:
        return {"reasons": _reasons(reasons), "appeal_by": appeal_by}
    if event_for(decision) == SYSTEM_ERROR_CORRECTED:
        wrong = (
            CreditDecision.objects.filter(
                line_id=decision.line_id,
                outcome__in=ADVERSE_OUTCOMES,
                created_at__lte=decision.created_at,
            )
            .exclude(pk=decision.pk)
            .order_by("-created_at", "-id")
            .values_list("created_at", flat=True)
            .first()
        )
        return {
            "decided_on": local_date(wrong or decision.created_at, recipient).isoformat(),
            "credit_limit": str(decision.new_limit),
        }
    return {"credit_limit": str(decision.new_limit), "explanation": REINSTATED_EXPLANATION}


def send_decision_notice(decision: CreditDecision, *, recipient, reasons) -> None:
    event = event_for(decision)
    if event is None:
        return
    notify(
        recipient=recipient,
        event=event,
        context=decision_context(decision, recipient=recipient, reasons=reasons),
        obj=decision,
    )


def send_batch_held(*, recipient, batch, name: str, affected: int, held_because: dict) -> None:
    """Tell a supervisor that a batch (a campaign) is held for review, and why."""
    notify(
        recipient=recipient,
        event="staff.batch_held",
        context={"batch": name, "affected": str(affected), "held_because": held_because},
        obj=batch,
    )


# --- Declared events ---------------------------------------------------------------------
# What credit tells people, registered with notifications at start-up; its templates are in
# credit/templates/credit/messages/<event>/<language>/. Also declared here, because credit
# sends them: repayment reminders (tips: they are about the borrower's credit line and its
# repayment dates) and batches held for review (campaigns and corrections are credit's).


TEMPLATES = "credit/messages"
CREDIT_CATEGORY = register_category(
    CategorySpec(name="credit", label=_("Changes to your credit line"), order=10)
)
TIPS_CATEGORY = register_category(
    CategorySpec(name="tips", label=_("Tips and reminders"), order=40, opt_in=True)
)

SAMPLE_REASONS = [
    {"zh-hans": "近期在多家平台申请借款", "en": "Applications at many other lenders recently"},
    {"zh-hans": "信用评分动态调整", "en": "Your credit score changed"},
]
REASONS = ("principal reasons, ranked: a list of localised texts", SAMPLE_REASONS)


def _credit_event(name, label, *, context, **rules) -> EventSpec:
    return register(
        EventSpec(
            name=name,
            label=label,
            category=CREDIT_CATEGORY.name,
            channels=ALL_CHANNELS,
            templates=TEMPLATES,
            context=context,
            default_link="/credit/",
            **rules,
        )
    )


_credit_event(
    "credit.closure_scheduled",
    _("Closure scheduled"),
    legal=True,
    context={
        "closing_effective_on": ("date the closure takes effect (ISO date)", "2026-12-28"),
        "credit_limit": ("current credit limit (decimal string, CNY)", "20000.00"),
        "reasons": REASONS,
        "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
    },
)
_credit_event(
    "credit.closed",
    _("Credit line closed"),
    legal=True,
    context={
        "closed_on": ("date the line closed (ISO date)", "2026-12-28"),
        "reasons": REASONS,
        "appeal_by": ("last day to appeal (ISO date)", "2027-02-26"),
    },
)
_credit_event(
    "credit.limit_reduced",
    _("Limit reduced"),
    legal=True,
    context={
        "old_limit": ("limit before (decimal string, CNY)", "20000.00"),
        "new_limit": ("limit after (decimal string, CNY)", "8000.00"),
        "effective_on": ("date the new limit applies (ISO date)", "2026-11-28"),
        "reasons": REASONS,
        "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
    },
)
_credit_event(
    "credit.frozen",
    _("Credit line paused"),
    context={
        "reasons": REASONS,
        "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
    },
)
_credit_event(
    "credit.reinstated",
    _("Credit line restored"),
    context={
        "credit_limit": ("restored credit limit (decimal string, CNY)", "20000.00"),
        "explanation": (
            "why, one sentence (localised text)",
            {
                "zh-hans": "您提交的证明材料显示其他平台的借款已全部结清。",
                "en": "Your documents show that your loans at other lenders are fully repaid.",
            },
        ),
    },
    optional=("explanation",),
)
_credit_event(
    "credit.system_error_corrected",
    _("System error corrected"),
    context={
        "decided_on": ("date of the wrong decision (ISO date)", "2026-11-02"),
        "credit_limit": ("restored credit limit (decimal string, CNY)", "20000.00"),
    },
)
register(
    EventSpec(
        name="tips.risk_reminder",
        label=_("Reminder"),
        category=TIPS_CATEGORY.name,
        channels=ALL_CHANNELS,
        templates=TEMPLATES,
        context={"due_on": ("next repayment date (ISO date)", "2026-12-05")},
        default_link="/credit/",
        dedupe="tips:repayment:{due_on}",
    )
)
register(
    EventSpec(
        name="staff.batch_held",
        label=_("Batch held for review"),
        category=STAFF_CATEGORY.name,
        channels=STAFF_CHANNELS,
        audience=Audience.STAFF,
        templates=TEMPLATES,
        context={
            "batch": ("name of the campaign or batch", "Campaign 2026-11 multi-lending"),
            "affected": ("how many lines it would change (integer string)", "1250"),
            "held_because": (
                "why it was held",
                {
                    "zh-hans": "影响的额度数量超过了自动执行的上限。",
                    "en": "It affects more credit lines than may run without review.",
                },
            ),
        },
        default_link="/admin/",
    )
)
