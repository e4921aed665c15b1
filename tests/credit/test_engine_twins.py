"""The engine's per-line work gives what its plain reading gave: the functions as they read
before they were made faster (features, score, decide, next look) are kept here, and both are
run on many generated lines, at many times, against several scorecards."""

import contextlib
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from credit import engine
from credit.engine import state as feature_state
from credit.engine.decide import (
    REVIEWED_OUTCOMES,
    AttributeScore,
    ScoreResult,
    Verdict,
    principal_reasons,
)
from credit.engine.features import (
    APPLICATION_WEIGHTS,
    DAYS_PER_MONTH,
    OVERDUE_WINDOW,
    REPAYMENT_WINDOW,
    Features,
    LineFacts,
    _decimal,
    _end_of_day,
    _parse_date,
    _parse_datetime,
)
from credit.engine.rules import SEVERITY, PolicyRules, ScorecardRules
from credit.engine.state import APPLICATION_LIMITS, OPENED_LIMITS, Fact, _month_after

from .test_feature_state import CARD, NOW, POLICY, histories

V1_CARD = engine.parse_scorecard(
    version=1,
    base_points=300,
    attributes=[
        {
            "feature": "on_time_ratio_12m",
            "reason_code": "repayment_late",
            "bins": [
                {"missing": True, "points": 60, "reason_code": "repayment_history_short"},
                {"max": 0.8, "points": 0},
                {"min": 0.8, "max": 0.97, "points": 80},
                {"min": 0.97, "points": 110},
            ],
        },
        {
            # A gap (0.2 to 0.4) and no bin for a missing value: the worst bin scores both.
            "feature": "debt_to_income",
            "reason_code": "dti",
            "bins": [{"max": 0.2, "points": 90}, {"min": 0.4, "points": 10}],
        },
        {
            "feature": "identity_expired",
            "reason_code": "identity",
            "bins": [{"max": 1, "points": 50}, {"min": 1, "points": 0}],
        },
        {
            "feature": "open_external_debt",
            "reason_code": "debt",
            "bins": [{"max": 1, "points": 70}, {"min": 1, "max": 10000, "points": 30}],
        },
        {
            "feature": "bureau_score",
            "reason_code": "bureau",
            "bins": [{"missing": True, "points": 5}, {"min": 650, "points": 60}],
        },
    ],
)


def reference_features(facts: LineFacts, *, as_of: datetime) -> Features:
    """`compute_features` as it read before it was made faster."""
    events = sorted(
        (e for e in facts.events if e.occurred_at <= as_of), key=lambda e: e.occurred_at
    )

    # Repayments: the latest report for each instalment (by due date) wins.
    instalments: dict[date, datetime | None] = {}
    applications: list[timedelta] = []
    opened: list[timedelta] = []
    open_loans: dict[tuple[str, str], Decimal] = {}
    overdue_days: list[int] = []
    bureau_score: int | None = None
    monthly_income: Decimal | None = None
    last_income_at: datetime | None = None
    last_expired_at: datetime | None = None

    for event in events:
        data = event.data or {}
        age = as_of - event.occurred_at
        kind = event.kind
        if kind == "repayment":
            due = _parse_date(data.get("due_date"))
            if due is not None:
                instalments[due] = _parse_datetime(data.get("paid_at"))
        elif kind == "external_loan_application":
            applications.append(age)
        elif kind == "external_loan_opened":
            opened.append(age)
            key = (str(data.get("platform", "")), str(data.get("loan_id", "")))
            open_loans[key] = _decimal(data.get("amount")) or Decimal(0)
        elif kind == "external_loan_closed":
            open_loans.pop((str(data.get("platform", "")), str(data.get("loan_id", ""))), None)
        elif kind == "external_overdue":
            if age <= OVERDUE_WINDOW:
                with contextlib.suppress(TypeError, ValueError):
                    overdue_days.append(int(data.get("days_past_due", 0)))
        elif kind == "bureau_score":
            with contextlib.suppress(KeyError, TypeError, ValueError):
                bureau_score = int(data["score"])
        elif kind == "income_verified":
            income = _decimal(data.get("monthly_income"))
            if income is not None and income > 0:
                monthly_income = income
                last_income_at = event.occurred_at
        elif kind == "identity_expired":
            last_expired_at = event.occurred_at

    due_in_window = 0
    late = 0
    last_late: datetime | None = None
    for due, paid_at in instalments.items():
        deadline = _end_of_day(due)
        if deadline > as_of:
            continue  # not yet due
        missed = paid_at is None or paid_at >= deadline
        if missed:
            # Clean since it was repaid; an instalment still unpaid leaves no clean months.
            cleared = as_of if paid_at is None or paid_at > as_of else paid_at
            last_late = cleared if last_late is None else max(last_late, cleared)
        if as_of - deadline > REPAYMENT_WINDOW:
            continue  # older than the window
        due_in_window += 1
        if missed:
            late += 1
    on_time_ratio = None if due_in_window == 0 else (due_in_window - late) / due_in_window

    weighted = 0.0
    for age in applications:
        for limit, weight in APPLICATION_WEIGHTS:
            if age <= limit:
                weighted += weight
                break

    external_debt = sum(open_loans.values(), Decimal(0))
    dti = float((facts.balance + external_debt) / (monthly_income * 12)) if monthly_income else None

    # The lender re-verifies identity with income; an expiry after the last check stands.
    identity_expired = last_expired_at is not None and (
        last_income_at is None or last_expired_at > last_income_at
    )
    if identity_expired:
        verification = "expired"
    elif monthly_income is not None:
        verification = "verified"
    else:
        verification = "unverified"

    opened_at = facts.opened_at if facts.opened_at.tzinfo else facts.opened_at.replace(tzinfo=UTC)
    age_days = max((as_of - opened_at).total_seconds() / 86400, 0)
    clean_since = max(last_late, opened_at) if last_late is not None else opened_at
    clean_days = max((as_of - clean_since).total_seconds() / 86400, 0)

    return Features(
        on_time_ratio_12m=None if on_time_ratio is None else round(on_time_ratio, 4),
        repayments_due_12m=due_in_window,
        repayments_late_12m=late,
        applications_30d=sum(1 for a in applications if a <= timedelta(days=30)),
        applications_90d=sum(1 for a in applications if a <= timedelta(days=90)),
        applications_weighted=round(weighted, 4),
        loans_opened_30d=sum(1 for a in opened if a <= timedelta(days=30)),
        loans_opened_90d=sum(1 for a in opened if a <= timedelta(days=90)),
        open_external_loans=len(open_loans),
        open_external_debt=float(external_debt),
        overdue_max_days_12m=max(overdue_days, default=0),
        overdue_count_12m=len(overdue_days),
        monthly_income=None if monthly_income is None else float(monthly_income),
        debt_to_income=None if dti is None else round(dti, 4),
        account_age_months=math.floor(age_days / DAYS_PER_MONTH),
        bureau_score=bureau_score,
        identity_expired=identity_expired,
        verification_status=verification,
        clean_repayment_months=math.floor(clean_days / DAYS_PER_MONTH),
        key_customer=facts.key_customer,
    )


def reference_next_change(
    state: Sequence[Fact],
    *,
    opened_at: datetime,
    features: Features | Mapping,
    as_of: datetime,
    month_edges: Mapping[str, Sequence[int]] | None = None,
) -> datetime:
    """`next_change` as it read before it was made faster (every candidate listed)."""
    candidates: list[datetime] = [as_of + REPAYMENT_WINDOW]
    last_late: datetime | None = None
    unpaid_late = False
    latest_by_due: dict[object, datetime | None] = {}
    for kind, occurred_at, data in state:
        if occurred_at > as_of:
            candidates.append(occurred_at)
            continue
        if kind == "external_loan_application":
            candidates.extend(occurred_at + limit for limit in APPLICATION_LIMITS)
        elif kind == "external_loan_opened":
            candidates.extend(occurred_at + limit for limit in OPENED_LIMITS)
        elif kind == "external_overdue":
            candidates.append(occurred_at + OVERDUE_WINDOW)
        elif kind == "repayment":
            due = _parse_date(data.get("due_date"))
            if due is not None:
                latest_by_due[due] = _parse_datetime(data.get("paid_at"))
    for due, paid_at in latest_by_due.items():
        deadline = _end_of_day(due)
        candidates.extend((deadline, deadline + REPAYMENT_WINDOW))
        if paid_at is not None and paid_at > as_of:
            candidates.append(paid_at)
        if deadline <= as_of and (paid_at is None or paid_at >= deadline):
            if paid_at is None or paid_at > as_of:
                unpaid_late = True  # no clean month until it is repaid (a date above)
            else:
                last_late = paid_at if last_late is None else max(last_late, paid_at)
    # Windows already passed changed nothing more; a date still ahead (or now) does.
    ahead = min(c for c in candidates if c >= as_of)
    # Whole months of account age, and of clean repayment since the last late instalment (a
    # month boundary a rounding put just behind `as_of` means: look at the next pass).
    opened = opened_at if opened_at.tzinfo else opened_at.replace(tzinfo=UTC)
    # The two month counts only (not `as_dict`: every scored line passes here every night).
    if isinstance(features, Features):
        age, clean = features.account_age_months, features.clean_repayment_months
    else:
        age, clean = features["account_age_months"], features["clean_repayment_months"]
    # With `month_edges`, only the months where the rules read a count differently.
    months = [(opened, _reference_next_edge(age, month_edges, "account_age_months"))]
    if not unpaid_late:
        clean_since = max(last_late, opened) if last_late is not None else opened
        months.append(
            (clean_since, _reference_next_edge(clean, month_edges, "clean_repayment_months"))
        )
    return max(
        min([ahead, *(_month_after(since, n) for since, n in months if n is not None)]), as_of
    )


def _reference_next_edge(
    months: int, edges: Mapping[str, Sequence[int]] | None, name: str
) -> int | None:
    if not edges or name not in edges:
        return months
    ahead = [edge for edge in edges[name] if edge > months]
    return min(ahead) - 1 if ahead else None


def reference_score(card, features) -> ScoreResult:
    """`score` as it read before the scorecard was compiled."""
    values = features.as_dict() if isinstance(features, Features) else features
    total = card.base_points
    scored = []
    for order, attribute in enumerate(card.attributes):
        value = values.get(attribute.feature)
        matched = next((b for b in attribute.bins if b.matches(value)), None)
        if matched is None:
            matched = min(attribute.bins, key=lambda b: b.points)
        total += matched.points
        scored.append(
            AttributeScore(
                feature=attribute.feature,
                value=value,
                bin_label=matched.label,
                points=matched.points,
                max_points=attribute.max_points,
                reason_code=matched.reason_code or attribute.reason_code,
                order=order,
            )
        )
    return ScoreResult(score=total, attributes=tuple(scored))


def reference_decide(policy: PolicyRules, card: ScorecardRules, features: Features) -> Verdict:
    """`decide` as it read before the policy was compiled."""
    values = features.as_dict()
    result = reference_score(card, values)
    segment = policy.segment_for(values)
    buffer_days = policy.closure_buffer_days
    segment_notice = segment.closure_buffer_days if segment is not None else None
    fired = [k for k in policy.knockouts if k.condition.holds(values)]
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


def _facts(events, opened) -> LineFacts:
    return engine.facts_from_rows(1, opened, Decimal("20000"), Decimal("3000"), events)


def _exactly(value):
    """A value with its type and, for a datetime, its zone (equal instants in two zones are
    equal, but are not written alike)."""
    if isinstance(value, datetime):
        return (value, value.tzinfo)
    if isinstance(value, Features):
        return tuple(_exactly(v) for v in value.as_dict().values())
    if isinstance(value, ScoreResult):
        return (value.score, _exactly(value.attributes))
    if isinstance(value, tuple):
        return tuple(_exactly(v) for v in value)
    if isinstance(value, AttributeScore):
        return tuple(_exactly(v) for v in value.as_dict().values()) + (value.order,)
    if isinstance(value, float) and value == 0:
        return (float, math.copysign(1, value))
    return (type(value), value)


@settings(max_examples=300, deadline=None)
@given(
    histories(),
    st.integers(0, 900),
    st.lists(st.integers(-5, 800), min_size=1, max_size=4),
    st.booleans(),
)
def test_features_scores_and_next_looks_are_those_of_the_plain_reading(
    history, opened_days, later_days, with_edges
):
    events, arrivals = history
    opened = NOW - timedelta(days=opened_days)
    edges = feature_state.month_edges(CARD, POLICY) if with_edges else None
    for arrival in arrivals:
        state = feature_state.fold([], events, as_of=arrival)
        for days in later_days:
            at = arrival + timedelta(days=days, minutes=days)
            for facts in (_facts(events, opened), _facts(state, opened)):
                features = engine.compute_features(facts, as_of=at)
                assert _exactly(features) == _exactly(reference_features(facts, as_of=at))
                for card in (CARD, V1_CARD):
                    assert _exactly(engine.score(card, features)) == _exactly(
                        reference_score(card, features)
                    )
                    assert engine.decide(POLICY, card, features) == reference_decide(
                        POLICY, card, features
                    )
            look = feature_state.next_change(
                state, opened_at=opened, features=features, as_of=at, month_edges=edges
            )
            assert _exactly(look) == _exactly(
                reference_next_change(
                    state, opened_at=opened, features=features, as_of=at, month_edges=edges
                )
            )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "on_time_ratio_12m": st.one_of(st.none(), st.sampled_from((0.0, 0.8, 0.97, 1.0))),
                "debt_to_income": st.one_of(
                    st.none(), st.sampled_from((0.0, -0.0, 0.2, 0.3, 0.4)), st.floats(-1, 2)
                ),
                "identity_expired": st.booleans(),
                "open_external_debt": st.sampled_from((0, 0.0, 1, 1.0, 5000.0, 10000.0)),
                "bureau_score": st.one_of(st.none(), st.integers(300, 900)),
            }
        ),
        min_size=1,
        max_size=30,
    )
)
def test_a_value_scored_before_scores_as_it_did_the_first_time(lines):
    """Each attribute's score is shared between lines with the same value: a value of another
    type (1 and 1.0, 0 and False) or a zero of the other sign keeps its own."""
    for values in lines:
        assert _exactly(engine.score(V1_CARD, values)) == _exactly(reference_score(V1_CARD, values))
