"""Before and after an appeal: the decision appealed and the one in force after the appeal
(its decision, or a re-evaluation the appeal triggered), side by side for the borrower.

Reads only; the page words it (appeal_detail.html, "before-after" panel).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import get_language

from credit.models import CreditDecision, DecisionReason, DecisionTrigger

from . import states
from .models import Appeal

# A reason of the decision appealed, after the appeal:
CLEARED = "cleared"  # the re-evaluation no longer gives it
REMAINS = "remains"  # still a reason of the decision in force
NEW = "new"  # a reason the decision in force gives that the one appealed did not
SET_ASIDE = "set_aside"  # a person restored the line in full without scoring it again
WEIGHED = "weighed"  # a person restored part of the limit without scoring it again

DECIDED_STATES = frozenset(states.RESOLVED_STATES)
RESTORED_STATES = frozenset({*states.FAVOURABLE_STATES, states.RESOLVED})
# The state of each reason, in the order the page lists them.
STATE_ORDER = (REMAINS, NEW, WEIGHED, SET_ASIDE, CLEARED)


@dataclass(frozen=True)
class Side:
    decision: CreditDecision
    score: int | None  # None: not scored (a person decided and nothing was re-scored)
    limit: Decimal
    status: str
    status_label: str
    outcome_label: str


@dataclass(frozen=True)
class ReasonChange:
    code: str
    title: str
    state: str  # cleared | remains | new | set_aside | weighed
    knockout: bool
    points_before: int | None
    points_after: int | None

    @property
    def points_changed(self) -> bool:
        return (
            self.points_before is not None
            and self.points_after is not None
            and self.points_before != self.points_after
        )


@dataclass(frozen=True)
class BeforeAfter:
    before: Side
    after: Side
    # The appeal changed nothing on the line: the decision appealed is still the one in force.
    unchanged: bool
    # A person decided: the line was not scored again after the appeal.
    by_person: bool
    reasons: tuple[ReasonChange, ...]

    @property
    def score_change(self) -> int | None:
        if self.before.score is None or self.after.score is None:
            return None
        return self.after.score - self.before.score

    def count(self, state: str) -> int:
        return sum(1 for r in self.reasons if r.state == state)


def _reasons_qs():
    return DecisionReason.objects.select_related("reason_code", "wording").order_by("rank")


def _decision_after(appeal: Appeal) -> CreditDecision | None:
    """The decision the appeal led to: the one its outcome applied, else the latest
    re-evaluation it triggered on the line (between its submission and its end)."""
    if appeal.credit_decision_id:
        return (
            CreditDecision.objects.prefetch_related(Prefetch("reasons", queryset=_reasons_qs()))
            .filter(pk=appeal.credit_decision_id)
            .first()
        )
    after = _appeal_decisions(appeal).first()
    if after is None and appeal.status in RESTORED_STATES:
        # Restored before the appeal's own re-evaluation wrote anything (e.g. by events that
        # arrived meanwhile): the decision in force is the latest since the one appealed.
        later = CreditDecision.objects.filter(
            line_id=appeal.line_id, created_at__gte=appeal.decision.created_at
        ).exclude(pk=appeal.decision_id)
        if appeal.closed_at:
            later = later.filter(created_at__lte=appeal.closed_at)
        after = (
            later.prefetch_related(Prefetch("reasons", queryset=_reasons_qs()))
            .order_by("-created_at", "-id")
            .first()
        )
    return after


def _appeal_decisions(appeal: Appeal):
    if not appeal.submitted_at:
        return CreditDecision.objects.none()
    qs = CreditDecision.objects.filter(
        line_id=appeal.line_id,
        trigger=DecisionTrigger.APPEAL,
        created_at__gte=appeal.submitted_at,
    ).exclude(pk=appeal.decision_id)
    if appeal.closed_at:
        qs = qs.filter(created_at__lte=appeal.closed_at)
    return qs.prefetch_related(Prefetch("reasons", queryset=_reasons_qs())).order_by(
        "-created_at", "-id"
    )


def _side(decision: CreditDecision, score: int | None) -> Side:
    return Side(
        decision=decision,
        score=score,
        limit=decision.new_limit,
        status=decision.new_status,
        status_label=decision.get_new_status_display(),
        outcome_label=decision.get_outcome_display(),
    )


def before_after(appeal: Appeal) -> BeforeAfter | None:
    """The two decisions side by side, once the appeal is decided or a re-evaluation it
    triggered changed the line; None before that (nothing to compare yet)."""
    after = _decision_after(appeal)
    if after is None and appeal.status not in DECIDED_STATES:
        return None
    if after is None and appeal.status not in (states.DENIED, states.DENIED_FINAL):
        return None  # decided favourably without a decision row: nothing honest to show
    before = appeal.decision
    language = get_language()
    before_reasons = sorted(before.reasons.all(), key=lambda r: r.rank)
    denied = appeal.status in (states.DENIED, states.DENIED_FINAL)
    # A denial leaves the decision in force; postponing its closure date (an unscored
    # decision with the same reasons) changes nothing the borrower compares.
    unchanged = after is None or (
        denied
        and after.score is None
        and (after.new_status, after.new_limit) == (before.new_status, before.new_limit)
    )
    after = before if after is None else after
    after_reasons = sorted(after.reasons.all(), key=lambda r: r.rank)
    scored_after = after.score is not None or unchanged
    after_score = before.score if unchanged else after.score
    if not scored_after:
        # A person decided; a re-evaluation the appeal triggered may still have scored it.
        rescored = (
            _appeal_decisions(appeal).filter(score__isnull=False).values_list("score", flat=True)
        )
        after_score = rescored.first()
    by_person = not scored_after and after_score is None

    after_by_code = {r.reason_code.code: r for r in after_reasons}
    # Points each reason code still costs in the decision in force (its stored points): a
    # reason cleared because the score passes again may still cost some.
    still_costs: dict[str, int] = {}
    if not unchanged:
        for scored in after.points or ():
            lost = int(scored.get("max_points", 0)) - int(scored.get("points", 0))
            code = scored.get("reason_code", "")
            still_costs[code] = still_costs.get(code, 0) + max(lost, 0)
    before_codes = {r.reason_code.code for r in before_reasons}
    changes: list[ReasonChange] = []
    for reason in before_reasons:
        now = after_by_code.get(reason.reason_code.code)
        if now is not None:
            state = REMAINS
        elif not scored_after and appeal.status == states.PARTIALLY_APPROVED:
            state = WEIGHED
        elif not scored_after:
            state = SET_ASIDE
        else:
            state = CLEARED
        changes.append(
            ReasonChange(
                code=reason.reason_code.code,
                title=reason.title_in(language),
                state=state,
                knockout=reason.knockout,
                points_before=reason.points_lost,
                points_after=now.points_lost
                if now is not None
                else (still_costs.get(reason.reason_code.code) or None),
            )
        )
    for reason in after_reasons:
        if reason.reason_code.code not in before_codes:
            changes.append(
                ReasonChange(
                    code=reason.reason_code.code,
                    title=reason.title_in(language),
                    state=NEW,
                    knockout=reason.knockout,
                    points_before=None,
                    points_after=reason.points_lost,
                )
            )
    changes.sort(key=lambda c: STATE_ORDER.index(c.state))
    return BeforeAfter(
        before=_side(before, before.score),
        after=_side(after, after_score),
        unchanged=unchanged,
        by_person=by_person,
        reasons=tuple(changes),
    )
