"""Score a line, pick the principal reasons, and plan the change to the line. No ORM here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from .features import Features
from .rules import OPERATORS, SEVERITY, Bin, Condition, PolicyRules, ScorecardRules

MAX_REASONS = 4
# The outcomes a segment marked for review stages for staff before they take effect.
REVIEWED_OUTCOMES = frozenset({"freeze", "close"})
LIMIT_STEP = Decimal("100")


@dataclass(frozen=True, slots=True)
class AttributeScore:
    feature: str
    value: object
    bin_label: str
    points: int
    max_points: int
    reason_code: str
    order: int

    @property
    def points_lost(self) -> int:
        return self.max_points - self.points

    def as_dict(self) -> dict:
        return {
            "feature": self.feature,
            "value": self.value,
            "bin": self.bin_label,
            "points": self.points,
            "max_points": self.max_points,
            "reason_code": self.reason_code,
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: int
    attributes: tuple[AttributeScore, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    attribute: str
    points_lost: int
    knockout: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the policy says about a line, before looking at the line's current state."""

    outcome: str  # keep | reduce_limit | freeze | close
    score: int
    reasons: tuple[Reason, ...]
    features: dict | None = None
    knockouts: tuple[str, ...] = ()
    segment: str | None = None
    reduce_share: Decimal | None = None
    closure_buffer_days: int = 0
    attributes: tuple[AttributeScore, ...] = ()
    # The segment softened a scored closure into `outcome` (staff see the segment on the decision).
    softened_by_segment: bool = False
    # A closure or pause of a segment the policy marks for review: staged for staff first.
    review_first: bool = False
    # The segment's longer notice period for a closure (None: the policy's).
    segment_notice_days: int | None = None


def score(card: ScorecardRules, features: Features | Mapping) -> ScoreResult:
    values = features.as_dict() if isinstance(features, Features) else features
    compiled = _compiled(card)
    known = compiled.scored
    total = card.base_points
    scored = []
    for order, attribute in enumerate(compiled.attributes):
        value = values.get(attribute[0])
        # The same value of an attribute always scores alike: its result is shared (a
        # float zero is not, so -0.0 and 0.0 keep their own sign).
        key = (order, type(value), value)
        result = known.get(key) if value or type(value) is not float else None
        if result is None:
            result = _scored(attribute, order, value)
            if len(known) >= _SCORED_KEPT:
                known.clear()
            known[key] = result
        total += result.points
        scored.append(result)
    return ScoreResult(score=total, attributes=tuple(scored))


# An attribute compiled once per scorecard: (feature, label, reason_code, max_points, the bin
# a missing value falls in (None: none), the bins with a range as (min, max, bin), its worst bin).
_CompiledAttribute = tuple[str, str, str, int, Bin | None, tuple, Bin]
_SCORED_KEPT = 1 << 16


@dataclass(slots=True)
class _CompiledCard:
    card: ScorecardRules  # kept, so its id is not reused while compiled
    attributes: tuple[_CompiledAttribute, ...]
    scored: dict  # (order, type, value) -> AttributeScore


_compiled_cards: dict[int, _CompiledCard] = {}


def _compiled(card: ScorecardRules) -> _CompiledCard:
    """The scorecard in the form `score` reads on every line (parsed versions are kept for
    the process, so this is built once per version)."""
    compiled = _compiled_cards.get(id(card))
    if compiled is not None and compiled.card is card:
        return compiled
    if len(_compiled_cards) >= 8:
        _compiled_cards.clear()  # drafts of shadow runs come and go
    attributes = []
    for attribute in card.attributes:
        missing = next((b for b in attribute.bins if b.missing), None)
        ranged = tuple((b.min, b.max, b) for b in attribute.bins if not b.missing)
        worst = min(attribute.bins, key=lambda b: b.points)
        attributes.append(
            (attribute.feature, attribute.label, attribute.reason_code, attribute.max_points)
            + (missing, ranged, worst)
        )
    compiled = _compiled_cards[id(card)] = _CompiledCard(card, tuple(attributes), {})
    return compiled


def _scored(attribute: _CompiledAttribute, order: int, value) -> AttributeScore:
    """The attribute's score for `value`: the first bin that matches (`Bin.matches`), else
    the worst bin, so a gap in the card can never make a borrower look better than the card
    intends."""
    feature, _, reason_code, max_points, missing, ranged, worst = attribute
    matched = None
    if value is None:
        matched = missing
    elif ranged:
        number = float(value)
        for low, high, b in ranged:
            if (low is None or number >= low) and (high is None or number < high):
                matched = b
                break
    if matched is None:
        matched = worst
    return AttributeScore(
        feature=feature,
        value=value,
        bin_label=matched.label,
        points=matched.points,
        max_points=max_points,
        reason_code=matched.reason_code or reason_code,
        order=order,
    )


def principal_reasons(
    result: ScoreResult, knockouts: tuple[tuple[str, str], ...] = ()
) -> tuple[Reason, ...]:
    """At most four reasons: knock-outs that fired first (in policy order), then the scored
    factors by points below their maximum, most first. Points lost under the same reason code
    add up. Ties go to the attribute listed first on the scorecard, then the code. A factor
    that lost no points is never a reason."""
    lost_by_feature = {a.feature: a.points_lost for a in result.attributes}
    reasons: list[Reason] = []
    seen: set[str] = set()
    for feature, code in knockouts:
        if code in seen:
            continue
        seen.add(code)
        reasons.append(Reason(code, feature, max(lost_by_feature.get(feature, 0), 0), True))

    knocked_out = {feature for feature, _ in knockouts}
    by_code: dict[str, list[AttributeScore]] = {}
    for attribute in result.attributes:
        # A factor a knock-out already names is not given twice.
        if attribute.feature in knocked_out:
            continue
        if attribute.points_lost > 0 and attribute.reason_code not in seen:
            by_code.setdefault(attribute.reason_code, []).append(attribute)
    ranked = sorted(
        by_code.items(),
        key=lambda item: (
            -sum(a.points_lost for a in item[1]),
            min(a.order for a in item[1]),
            item[0],
        ),
    )
    for code, attributes in ranked:
        worst = max(attributes, key=lambda a: (a.points_lost, -a.order))
        reasons.append(Reason(code, worst.feature, sum(a.points_lost for a in attributes)))
    return tuple(reasons[:MAX_REASONS])


def segment_of(features: Features | Mapping, policy: PolicyRules) -> str | None:
    """The name of the policy's segment the features fall in (the first whose conditions all
    hold, in the policy's order), or None. What decisions, shadow runs and monitoring group by."""
    values = features.as_dict() if isinstance(features, Features) else features
    segment = policy.segment_for(values)
    return segment.name if segment is not None else None


def decide(policy: PolicyRules, card: ScorecardRules, features: Features) -> Verdict:
    values = features.as_dict()
    result = score(card, values)
    knockouts, segments = _compiled_policy(policy)
    # The first segment whose conditions all hold (`PolicyRules.segment_for`).
    segment = None
    for candidate, conditions in segments:
        for feature, holds, reference in conditions:
            if not holds(values.get(feature), reference):
                break
        else:
            segment = candidate
            break
    buffer_days = policy.closure_buffer_days
    segment_notice = segment.closure_buffer_days if segment is not None else None
    fired = [
        k for feature, holds, reference, k in knockouts if holds(values.get(feature), reference)
    ]
    if fired:
        # A knock-out is never softened by a segment; a review still applies.
        outcome = max((k.outcome for k in fired), key=SEVERITY.__getitem__)
        return Verdict(
            outcome=outcome,
            score=result.score,
            reasons=principal_reasons(
                result, tuple((k.condition.feature, k.reason_code) for k in fired)
            ),
            knockouts=tuple(k.name for k in fired),
            segment=segment.name if segment else None,
            reduce_share=policy.reduce_share,
            closure_buffer_days=buffer_days,
            attributes=result.attributes,
            features=values,
            review_first=bool(segment and segment.review),
            segment_notice_days=segment_notice,
        )

    s = result.score
    if s >= policy.keep_min_score:
        outcome = "keep"
    elif s >= policy.reduce_min_score:
        outcome = "reduce_limit"
    elif s >= policy.freeze_min_score:
        outcome = "freeze"
    else:
        outcome = "close"

    share = policy.reduce_share
    softened = False
    if outcome == "close" and segment is not None and segment.close_becomes:
        outcome = segment.close_becomes
        share = segment.reduce_share or share
        softened = True

    return Verdict(
        outcome=outcome,
        score=s,
        reasons=() if outcome == "keep" else principal_reasons(result),
        segment=segment.name if segment else None,
        reduce_share=share,
        closure_buffer_days=buffer_days,
        attributes=result.attributes,
        features=values,
        softened_by_segment=softened,
        review_first=bool(segment and segment.review and outcome in REVIEWED_OUTCOMES),
        segment_notice_days=segment_notice,
    )


_compiled_policies: dict[int, tuple[PolicyRules, tuple, tuple]] = {}


def _compiled_policy(policy: PolicyRules) -> tuple[tuple, tuple]:
    """The policy's knock-outs as (feature, operator, value, knock-out) and its segments as
    (segment, its conditions as (feature, operator, value)): what `Condition.holds` reads,
    looked up once per version rather than per condition per line."""
    kept = _compiled_policies.get(id(policy))
    if kept is not None and kept[0] is policy:
        return kept[1], kept[2]
    if len(_compiled_policies) >= 8:
        _compiled_policies.clear()  # drafts of shadow runs come and go

    def compiled(condition: Condition) -> tuple:
        return (condition.feature, OPERATORS[condition.op], condition.value)

    knockouts = tuple((*compiled(k.condition), k) for k in policy.knockouts)
    segments = tuple(
        (segment, tuple(compiled(c) for c in segment.conditions)) for segment in policy.segments
    )
    _compiled_policies[id(policy)] = (policy, knockouts, segments)
    return knockouts, segments


# --- Applying a verdict to a line's current state -------------------------------------------


@dataclass(frozen=True, slots=True)
class LineState:
    status: str  # active | closing | frozen | closed
    credit_limit: Decimal
    # The line's limit was cut by its latest decision and not restored since.
    limit_reduced: bool = False
    # The limit before that cut, when the scorecard made it (so the scorecard may undo it).
    limit_before_reduction: Decimal | None = None
    # The latest adverse state came from staff or a campaign, not from the scorecard: a
    # re-evaluation may make it stricter but never lifts it (its reasons are not scores).
    manual_hold: bool = False
    # A reduction or pause given notice and not yet in effect ("" | reduce_limit | freeze):
    # the line counts as already in that state, so it is not decided again every run.
    scheduled: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    outcome: str  # a DecisionOutcome value
    new_status: str
    new_limit: Decimal
    # The notice period: a closure's buffer, or (for an active line's reduction or pause)
    # the days before the change takes effect; 0 means at once.
    buffer_days: int = 0


def reduced_limit(limit: Decimal, share: Decimal) -> Decimal:
    """The limit less `share` of it, rounded down to a whole ¥100."""
    kept = limit * (Decimal(1) - share)
    return max((kept / LIMIT_STEP).to_integral_value(rounding=ROUND_FLOOR) * LIMIT_STEP, Decimal(0))


def closure_buffer_days(
    policy_days: int, reason_codes: Iterable[str], reason_buffers: Mapping[str, int]
) -> int:
    """The one rule for a closure's notice period: the policy's, shortened to the smallest
    default of the reasons given (fraud and regulatory codes carry 0: the closure takes
    effect at once)."""
    days = policy_days
    for code in reason_codes:
        if code in reason_buffers:
            days = min(days, reason_buffers[code])
    return days


def closure_buffer(verdict: Verdict, reason_buffers: Mapping[str, int]) -> int:
    """The notice period of a closure the engine schedules (see `closure_buffer_days`). A
    segment's longer notice applies unless a reason cuts the policy's short (fraud, a
    regulator): that reason's shorter period wins for everyone."""
    days = closure_buffer_days(
        verdict.closure_buffer_days, (reason.code for reason in verdict.reasons), reason_buffers
    )
    if verdict.segment_notice_days is not None and days >= verdict.closure_buffer_days:
        days = max(days, verdict.segment_notice_days)
    return days


def plan_change(
    state: LineState, verdict: Verdict, reason_buffers: Mapping[str, int] | None = None
) -> Plan | None:
    """The change the verdict calls for on a line in `state`, or None when nothing changes."""
    status, limit, outcome = state.status, state.credit_limit, verdict.outcome
    current = (
        state.scheduled
        or {
            "active": "reduce_limit" if state.limit_reduced else "keep",
            "frozen": "freeze",
            "closing": "close",
            "closed": "close",
        }[status]
    )
    if state.manual_hold and SEVERITY[outcome] <= SEVERITY[current]:
        return None
    if outcome == current:
        return None

    if outcome == "close":
        if status == "closed":
            return None
        return Plan(
            "schedule_closure", "closing", limit, closure_buffer(verdict, reason_buffers or {})
        )
    # An active line's reduction or pause gets the same notice as a closure (none for fraud
    # or regulatory reasons); a closing line paused instead is eased at once.
    notice = closure_buffer(verdict, reason_buffers or {}) if status == "active" else 0
    if outcome == "freeze":
        if status == "closed":
            return None  # a closed line is not paused; it stays closed
        return Plan("freeze", "frozen", limit, notice)
    if outcome == "reduce_limit":
        new_limit = limit if state.limit_reduced else reduced_limit(limit, verdict.reduce_share)
        if status == "active":
            return Plan("reduce_limit", "active", new_limit, notice)
        return Plan("reinstate", "active", new_limit)
    # keep
    if state.scheduled:
        # The reasons for a change not yet in effect have cleared: it is called off.
        return Plan("reinstate", "active", limit)
    if status == "active":
        if state.limit_reduced and state.limit_before_reduction:
            # The reasons for the scorecard's cut have cleared: the limit goes back up.
            return Plan("reinstate", "active", state.limit_before_reduction)
        return None
    return Plan("reinstate", "active", limit)
