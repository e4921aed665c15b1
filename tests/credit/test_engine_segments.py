"""Segments in the policy (pure engine): who is in which segment, and what it changes."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit import engine
from credit.engine import compute_features
from tests.credit.test_engine import CARD, NOW, facts, features, repayment

WEAK = {"open_external_loans": 4, "bureau_score": 500, "applications_weighted": 2}  # score 130

BASE_POLICY = {
    "version": 4,
    "keep_min_score": 220,
    "reduce_min_score": 200,
    "freeze_min_score": 180,
    "reduce_share": "0.3",
    "closure_buffer_days": 30,
    "knockouts": [
        {
            "name": "serious_overdue",
            "feature": "overdue_max_days_12m",
            "op": "gte",
            "value": 90,
            "outcome": "close",
            "reason_code": "serious_overdue",
        }
    ],
}
SEGMENTS = [
    {
        "name": "key_customer",
        "conditions": [{"feature": "key_customer", "op": "eq", "value": True}],
        "review": True,
        "closure_buffer_days": 60,
    },
    {
        "name": "long_clean",
        "conditions": [
            {"feature": "account_age_months", "op": "gte", "value": 24},
            {"feature": "clean_repayment_months", "op": "gte", "value": 24},
        ],
        "close_becomes": "reduce_limit",
        "reduce_share": "0.5",
        "closure_buffer_days": 45,
    },
    {
        "name": "verified_prime",
        "conditions": [
            {"feature": "verification_status", "op": "eq", "value": "verified"},
            {"feature": "bureau_score", "op": "gte", "value": 700},
        ],
    },
]
POLICY = engine.parse_policy(**BASE_POLICY, segments=SEGMENTS)


def test_segment_of_is_the_first_segment_whose_conditions_all_hold():
    both = features(key_customer=True, account_age_months=30, clean_repayment_months=30)
    assert engine.segment_of(both, POLICY) == "key_customer"  # listed first
    clean = features(account_age_months=30, clean_repayment_months=30)
    assert engine.segment_of(clean, POLICY) == "long_clean"
    # One condition short: in no segment.
    assert engine.segment_of(replace(clean, clean_repayment_months=23), POLICY) is None
    prime = features(verification_status="verified", bureau_score=720, account_age_months=3)
    assert engine.segment_of(prime, POLICY) == "verified_prime"
    # A plain mapping (a stored decision's features) works too.
    assert engine.segment_of(prime.as_dict(), POLICY) == "verified_prime"


def test_every_verdict_names_its_segment_whatever_the_outcome():
    new = {"account_age_months": 3, "clean_repayment_months": 3}
    kept = engine.decide(
        POLICY, CARD, features(**new, bureau_score=720, verification_status="verified")
    )
    assert (kept.outcome, kept.segment) == ("keep", "verified_prime")
    assert engine.decide(POLICY, CARD, features(**new, bureau_score=650)).segment is None
    closed = engine.decide(POLICY, CARD, features(**WEAK, **new))
    assert (closed.outcome, closed.segment, closed.review_first) == ("close", None, False)


def test_a_long_clean_customer_is_reduced_instead_of_closed_with_the_segment_share():
    verdict = engine.decide(
        POLICY, CARD, features(**WEAK, account_age_months=30, clean_repayment_months=30)
    )
    assert (verdict.outcome, verdict.segment, verdict.reduce_share) == (
        "reduce_limit",
        "long_clean",
        Decimal("0.5"),
    )
    assert verdict.softened_by_segment
    assert not verdict.review_first


def test_a_knock_out_is_never_softened_but_gets_the_segments_longer_notice():
    verdict = engine.decide(
        POLICY,
        CARD,
        features(**WEAK, account_age_months=30, clean_repayment_months=30, overdue_max_days_12m=95),
    )
    assert (verdict.outcome, verdict.segment, verdict.softened_by_segment) == (
        "close",
        "long_clean",
        False,
    )
    assert engine.closure_buffer(verdict, {"serious_overdue": 30}) == 45
    # A reason that cuts the policy's notice short (fraud) wins over the segment's.
    assert engine.closure_buffer(verdict, {"serious_overdue": 0}) == 0


def test_a_key_customer_closure_or_pause_is_marked_for_review_with_a_longer_notice():
    closing = engine.decide(POLICY, CARD, features(**WEAK, key_customer=True, account_age_months=3))
    assert (closing.outcome, closing.segment, closing.review_first) == (
        "close",
        "key_customer",
        True,
    )
    assert engine.closure_buffer(closing, {}) == 60
    plan = engine.plan_change(
        engine.LineState(status="active", credit_limit=Decimal("20000")), closing
    )
    assert plan.buffer_days == 60
    # A reduction of a key customer is not reviewed; only closures and pauses are.
    reduced = engine.decide(
        POLICY, CARD, features(key_customer=True, open_external_loans=2, bureau_score=500)
    )
    assert (reduced.outcome, reduced.review_first) == ("reduce_limit", False)
    paused = engine.decide(
        POLICY,
        CARD,
        features(
            key_customer=True,
            open_external_loans=4,
            bureau_score=650,
            applications_weighted=2,
            account_age_months=30,
        ),
    )
    assert (paused.outcome, paused.review_first) == ("freeze", True)


def test_a_knock_out_closure_of_a_key_customer_is_reviewed_too():
    verdict = engine.decide(
        POLICY, CARD, features(bureau_score=650, key_customer=True, overdue_max_days_12m=95)
    )
    assert (verdict.outcome, verdict.knockouts, verdict.review_first) == (
        "close",
        ("serious_overdue",),
        True,
    )


# --- The features segments use ----------------------------------------------------------------


def test_clean_repayment_months_count_from_the_last_late_repayment_or_the_opening():
    opened = NOW - timedelta(days=800)  # 26 months
    never_late = compute_features(
        facts(repayment("2025-11-10", "2025-11-09T10:00:00+08:00"), opened=opened), as_of=NOW
    )
    assert never_late.clean_repayment_months == 26
    # Repaid late on 2025-06-12 (a bit under 6 months before NOW): 5 clean months since.
    late = compute_features(
        facts(
            repayment("2025-06-10", "2025-06-12T10:00:00+08:00"),
            repayment("2025-11-10", "2025-11-09T10:00:00+08:00"),
            opened=opened,
        ),
        as_of=NOW,
    )
    assert late.clean_repayment_months == 5
    # A late repayment older than the 12-month window still counts for this feature.
    old_late = compute_features(
        facts(repayment("2024-06-10", "2024-06-20T10:00:00+08:00"), opened=opened), as_of=NOW
    )
    assert (old_late.repayments_late_12m, old_late.clean_repayment_months) == (0, 17)
    # An instalment due and still unpaid leaves no clean months.
    unpaid = compute_features(facts(repayment("2025-11-10", None), opened=opened), as_of=NOW)
    assert unpaid.clean_repayment_months == 0


def test_the_key_customer_flag_comes_from_the_line_not_from_events():
    flagged = replace(facts(), key_customer=True)
    assert compute_features(flagged, as_of=NOW).key_customer is True
    assert compute_features(facts(), as_of=NOW).key_customer is False


# --- Parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        ({"name": "x", "conditions": []}, "conditions are required"),
        ({"name": "has space", "conditions": SEGMENTS[0]["conditions"]}, "letters, digits"),
        ({"name": "x", "conditions": SEGMENTS[0]["conditions"], "colour": 1}, "unknown key"),
        (
            {"name": "x", "conditions": SEGMENTS[0]["conditions"], "closure_buffer_days": 10},
            "cannot be shorter",
        ),
        ({"name": "x", "conditions": SEGMENTS[0]["conditions"], "review": "yes"}, "true or false"),
        (
            {"name": "x", "conditions": SEGMENTS[0]["conditions"], "close_becomes": "close"},
            "close_becomes",
        ),
        (
            {"name": "x", "conditions": [{"feature": "nope", "op": "eq", "value": 1}]},
            "unknown feature",
        ),
    ],
)
def test_a_broken_segment_is_refused_with_a_message_saying_where(segment, message):
    with pytest.raises(engine.RulesError, match=message):
        engine.parse_policy(**BASE_POLICY, segments=[segment])


def test_two_segments_with_the_same_name_are_refused():
    with pytest.raises(engine.RulesError, match="names must differ"):
        engine.parse_policy(**BASE_POLICY, segments=[SEGMENTS[0], SEGMENTS[0]])


# --- Properties -------------------------------------------------------------------------------

feature_values = st.fixed_dictionaries(
    {
        "key_customer": st.booleans(),
        "account_age_months": st.integers(0, 120),
        "clean_repayment_months": st.integers(0, 120),
        "bureau_score": st.one_of(st.none(), st.integers(300, 850)),
        "verification_status": st.sampled_from(["verified", "unverified", "expired"]),
        "open_external_loans": st.integers(0, 8),
        "applications_weighted": st.sampled_from([0, 0.5, 1, 2, 3]),
        "overdue_max_days_12m": st.sampled_from([0, 10, 95]),
    }
)


@settings(max_examples=200, deadline=None)
@given(values=feature_values)
def test_segment_rules_hold_for_any_borrower(values):
    f = features(**values)
    verdict = engine.decide(POLICY, CARD, f)
    plain = engine.decide(engine.parse_policy(**BASE_POLICY, segments=[]), CARD, f)
    # The verdict's segment is the one segment_of names (what shadow runs group by).
    assert verdict.segment == engine.segment_of(f, POLICY)
    # A segment never makes an outcome harsher than the policy without segments.
    assert engine.rules.SEVERITY[verdict.outcome] <= engine.rules.SEVERITY[plain.outcome]
    # Only closures and pauses of a segment marked for review are reviewed.
    assert verdict.review_first == (
        verdict.segment == "key_customer" and verdict.outcome in ("freeze", "close")
    )
    # A segment's notice is never shorter than the policy's.
    buffers = {"serious_overdue": 30}
    assert engine.closure_buffer(verdict, buffers) >= engine.closure_buffer(plain, buffers)
