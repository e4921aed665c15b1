"""What a policy segment did differently for a borrower, in one sentence the borrower reads on
My credit and in the decision's notice: a closure softened (a reduction or pause instead) or
a longer notice period, because the borrower is in a segment such as a long clean repayment
record.

Said only when it is true of the decision: its segment, and the policy version that decided
it (immutable once activated) show that the segment changed the outcome or the notice. A
knock-out, a person's or a campaign's decision is never softened by a segment, so none of
them carries the sentence.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from .models import CreditDecision, DecisionOutcome

SOFTENED = "softened"
LONGER_NOTICE = "longer_notice"

# Conditions that say "repaid on time": late or overdue counts at zero, on-time measures at
# their best. A segment whose every condition is one of these, or a minimum account age,
# is described as a long on-time record; any other segment as "your customer group".
_NONE_LATE = {"repayments_late_12m", "overdue_max_days_12m", "overdue_count_12m"}
_AT_LEAST = {"clean_repayment_months", "repayments_due_12m", "account_age_months"}


def _repaid_on_time(conditions) -> bool:
    on_time = False
    for condition in conditions:
        value = condition.value
        if condition.feature in _NONE_LATE:
            if not (
                (condition.op in ("eq", "lte") and value == 0)
                or (condition.op == "lt" and value == 1)
            ):
                return False
            on_time = True
        elif condition.feature in _AT_LEAST:
            if condition.op not in ("gte", "gt"):
                return False
            on_time = on_time or condition.feature == "clean_repayment_months"
        elif condition.feature == "on_time_ratio_12m":
            if not (condition.op in ("gte", "eq") and value == 1):
                return False
            on_time = True
        else:
            return False
    return on_time


def segment_effect(decision: CreditDecision) -> tuple[str, dict, bool] | None:
    """(effect, figures, repaid on time) when the decision's segment changed it, else None.

    Softened: the engine's score was below the policy's pause threshold (a closure) and the
    segment turns a closure into the decision's outcome. Longer notice: a scheduled closure
    whose notice period is the segment's, longer than the policy's."""
    if not decision.segment or decision.policy_id is None or decision.score is None:
        return None
    if decision.outcome not in (
        DecisionOutcome.REDUCE_LIMIT,
        DecisionOutcome.FREEZE,
        DecisionOutcome.SCHEDULE_CLOSURE,
    ):
        return None
    if "knock-out" in (decision.note or ""):
        return None
    from .selectors import policy_rules  # selectors read the models this module names

    rules = policy_rules(decision.policy)
    segment = next((s for s in rules.segments if s.name == decision.segment), None)
    if segment is None:
        return None
    on_time = _repaid_on_time(segment.conditions)
    if (
        decision.outcome in (DecisionOutcome.REDUCE_LIMIT, DecisionOutcome.FREEZE)
        and segment.close_becomes == decision.outcome
        and decision.score < rules.freeze_min_score
    ):
        return SOFTENED, {}, on_time
    if (
        decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
        and decision.closing_effective_at
        and segment.closure_buffer_days
        and segment.closure_buffer_days > rules.closure_buffer_days
    ):
        days = round((decision.closing_effective_at - decision.created_at).total_seconds() / 86400)
        if days == segment.closure_buffer_days:
            return LONGER_NOTICE, {"days": days, "usual": rules.closure_buffer_days}, on_time
    return None


def segment_note(decision: CreditDecision) -> str:
    """The sentence in the active language ("" when the segment changed nothing)."""
    effect = segment_effect(decision)
    if effect is None:
        return ""
    kind, figures, on_time = effect
    if kind == SOFTENED and decision.outcome == DecisionOutcome.REDUCE_LIMIT:
        if on_time:
            return _(
                "Because you have repaid on time for a long time, we decided to reduce your "
                "limit instead of closing your credit line."
            )
        return _(
            "Under our policy for your customer group, we decided to reduce your limit "
            "instead of closing your credit line."
        )
    if kind == SOFTENED:
        if on_time:
            return _(
                "Because you have repaid on time for a long time, we decided to pause your "
                "credit line instead of closing it."
            )
        return _(
            "Under our policy for your customer group, we decided to pause your credit line "
            "instead of closing it."
        )
    if on_time:
        return (
            _(
                "Because you have repaid on time for a long time, your notice period is %(days)s "
                "days instead of the usual %(usual)s."
            )
            % figures
        )
    return (
        _(
            "Under our policy for your customer group, your notice period is %(days)s days "
            "instead of the usual %(usual)s."
        )
        % figures
    )


def segment_note_texts(decision: CreditDecision) -> dict | None:
    """The sentence in both languages, for a notice (None when the segment changed nothing)."""
    if segment_effect(decision) is None:
        return None
    texts = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts[language] = segment_note(decision)
    return texts
