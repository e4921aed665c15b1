"""The pure engine: features at a point in time, score, reasons, outcomes and plans."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from credit import engine
from credit.engine import EventFact, LineFacts, LineState, compute_features

NOW = datetime(2025, 12, 5, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def facts(*events, opened=NOW - timedelta(days=320), balance="3000.00"):
    return LineFacts(
        line_id=1,
        opened_at=opened,
        credit_limit=Decimal("20000.00"),
        balance=Decimal(balance),
        events=tuple(EventFact(kind, when, data) for kind, when, data in events),
    )


def repayment(due: str, paid_at: str | None, when=None):
    return ("repayment", when or NOW - timedelta(days=1), {"due_date": due, "paid_at": paid_at})


# --- Features -------------------------------------------------------------------------------


def test_a_repayment_on_the_due_date_in_shanghai_is_on_time_and_a_minute_later_is_late():
    f = compute_features(
        facts(
            repayment("2025-11-10", "2025-11-10T23:59:00+08:00"),
            repayment("2025-10-10", "2025-10-11T00:01:00+08:00"),
            # 23:30 UTC on the 9th is already the 10th in Shanghai: on time.
            repayment("2025-09-10", "2025-09-09T23:30:00+00:00"),
        ),
        as_of=NOW,
    )
    assert f.repayments_due_12m == 3
    assert f.repayments_late_12m == 1
    assert f.on_time_ratio_12m == pytest.approx(2 / 3, abs=1e-4)


def test_unpaid_instalments_count_as_late_once_due_and_not_before():
    f = compute_features(
        facts(repayment("2025-11-10", None), repayment("2025-12-10", None)), as_of=NOW
    )
    assert (f.repayments_due_12m, f.repayments_late_12m) == (1, 1)


def test_the_latest_report_of_an_instalment_wins():
    f = compute_features(
        facts(
            repayment("2025-11-10", None, when=NOW - timedelta(days=20)),
            repayment("2025-11-10", "2025-11-10T09:00:00+08:00", when=NOW - timedelta(days=19)),
        ),
        as_of=NOW,
    )
    assert f.repayments_late_12m == 0
    assert f.on_time_ratio_12m == 1.0


def test_no_instalment_due_yet_means_no_ratio():
    assert compute_features(facts(), as_of=NOW).on_time_ratio_12m is None


def test_events_after_the_evaluation_time_are_ignored():
    later = ("external_loan_opened", NOW + timedelta(days=1), {"platform": "A", "loan_id": "1"})
    assert compute_features(facts(later), as_of=NOW).open_external_loans == 0


def test_applications_weigh_less_as_they_age_and_drop_after_90_days():
    apps = [
        ("external_loan_application", NOW - timedelta(days=d), {"platform": "P"})
        for d in (1, 29, 45, 80, 120)
    ]
    f = compute_features(facts(*apps), as_of=NOW)
    assert f.applications_30d == 2
    assert f.applications_90d == 4
    assert f.applications_weighted == pytest.approx(1 + 1 + 0.5 + 0.25)


def test_open_loans_elsewhere_count_until_closed_and_feed_debt_to_income():
    events = [
        ("income_verified", NOW - timedelta(days=100), {"monthly_income": "10000.00"}),
        (
            "external_loan_opened",
            NOW - timedelta(days=10),
            {"platform": "A", "loan_id": "1", "amount": "6000"},
        ),
        (
            "external_loan_opened",
            NOW - timedelta(days=9),
            {"platform": "B", "loan_id": "1", "amount": "3000"},
        ),
        ("external_loan_closed", NOW - timedelta(days=2), {"platform": "A", "loan_id": "1"}),
    ]
    f = compute_features(facts(*events), as_of=NOW)
    assert f.loans_opened_30d == 2
    assert f.open_external_loans == 1
    assert f.open_external_debt == 3000.0
    assert f.debt_to_income == pytest.approx((3000 + 3000) / 120000, abs=1e-4)


def test_overdue_elsewhere_reports_the_longest_and_the_count_in_twelve_months():
    events = [
        ("external_overdue", NOW - timedelta(days=d), {"days_past_due": dpd, "platform": "P"})
        for d, dpd in ((10, 12), (200, 45), (400, 120))
    ]
    f = compute_features(facts(*events), as_of=NOW)
    assert (f.overdue_max_days_12m, f.overdue_count_12m) == (45, 2)


def test_identity_expiry_stands_until_the_next_verification():
    expired = ("identity_expired", NOW - timedelta(days=5), {})
    assert compute_features(facts(expired), as_of=NOW).verification_status == "expired"
    reverified = ("income_verified", NOW - timedelta(days=1), {"monthly_income": "9000"})
    f = compute_features(facts(expired, reverified), as_of=NOW)
    assert (f.identity_expired, f.verification_status) == (False, "verified")
    assert compute_features(facts(), as_of=NOW).verification_status == "unverified"


def test_latest_bureau_score_and_account_age():
    events = [
        ("bureau_score", NOW - timedelta(days=90), {"score": 610}),
        ("bureau_score", NOW - timedelta(days=3), {"score": 705}),
    ]
    f = compute_features(facts(*events, opened=NOW - timedelta(days=400)), as_of=NOW)
    assert f.bureau_score == 705
    assert f.account_age_months == 13


# --- Scorecard and reasons --------------------------------------------------------------------

CARD = engine.parse_scorecard(
    version=9,
    base_points=100,
    attributes=[
        {
            "feature": "open_external_loans",
            "reason_code": "open_loans",
            "bins": [
                {"max": 1, "points": 50},
                {"min": 1, "max": 3, "points": 20},
                {"min": 3, "points": 0},
            ],
        },
        {
            "feature": "applications_weighted",
            "reason_code": "applications",
            "bins": [{"max": 1, "points": 30}, {"min": 1, "points": 0}],
        },
        {
            "feature": "bureau_score",
            "reason_code": "bureau_low",
            "bins": [
                {"missing": True, "points": 10, "reason_code": "bureau_missing"},
                {"max": 600, "points": 0},
                {"min": 600, "points": 30},
            ],
        },
        {
            "feature": "account_age_months",
            "reason_code": "age",
            "bins": [{"max": 12, "points": 0}, {"min": 12, "points": 30}],
        },
        {
            "feature": "overdue_max_days_12m",
            "reason_code": "overdue",
            "bins": [{"max": 1, "points": 30}, {"min": 1, "points": 0}],
        },
    ],
)


def features(**values):
    base = compute_features(facts(opened=NOW - timedelta(days=800)), as_of=NOW)
    return replace(base, **values)


def test_score_is_base_plus_the_points_of_each_matching_bin():
    result = engine.score(CARD, features(open_external_loans=2, bureau_score=650))
    assert result.score == 100 + 20 + 30 + 30 + 30 + 30


def test_reasons_are_ranked_by_points_below_maximum_and_zero_losses_never_show():
    result = engine.score(
        CARD, features(open_external_loans=2, applications_weighted=2.0, bureau_score=650)
    )
    reasons = engine.principal_reasons(result)
    assert [(r.code, r.points_lost) for r in reasons] == [("open_loans", 30), ("applications", 30)]
    assert all(r.points_lost > 0 for r in reasons)


def test_ties_go_to_the_attribute_listed_first_on_the_scorecard():
    result = engine.score(
        CARD,
        features(
            open_external_loans=5,
            applications_weighted=0,
            bureau_score=500,
            account_age_months=3,
            overdue_max_days_12m=4,
        ),
    )
    # open_loans 50, then bureau/age/overdue all 30: scorecard order decides.
    assert [r.code for r in engine.principal_reasons(result)] == [
        "open_loans",
        "bureau_low",
        "age",
        "overdue",
    ]


def test_at_most_four_reasons():
    result = engine.score(
        CARD,
        features(
            open_external_loans=5,
            applications_weighted=3,
            bureau_score=500,
            account_age_months=3,
            overdue_max_days_12m=4,
        ),
    )
    reasons = engine.principal_reasons(result)
    assert len(reasons) == engine.MAX_REASONS == 4
    assert "applications" in {r.code for r in reasons}
    assert "overdue" not in {r.code for r in reasons}  # 30 lost, listed last among ties


def test_a_bin_can_give_its_own_reason_and_every_reason_maps_to_a_scored_factor():
    result = engine.score(CARD, features(bureau_score=None))
    reasons = engine.principal_reasons(result)
    assert ("bureau_missing", "bureau_score") in {(r.code, r.attribute) for r in reasons}
    scored = {a.feature for a in result.attributes}
    assert all(r.attribute in scored for r in reasons)


def test_a_knock_out_is_always_first_and_its_factor_is_not_repeated():
    result = engine.score(
        CARD, features(open_external_loans=5, overdue_max_days_12m=120, bureau_score=650)
    )
    reasons = engine.principal_reasons(result, (("overdue_max_days_12m", "serious_overdue"),))
    assert reasons[0].code == "serious_overdue" and reasons[0].knockout
    assert reasons[0].points_lost == 30
    assert "overdue" not in [r.code for r in reasons]
    assert reasons[1].code == "open_loans"


def test_points_under_one_reason_code_add_up():
    card = engine.parse_scorecard(
        version=1,
        base_points=0,
        attributes=[
            {
                "feature": "open_external_loans",
                "reason_code": "multi",
                "bins": [{"max": 1, "points": 20}, {"min": 1, "points": 0}],
            },
            {
                "feature": "bureau_score",
                "reason_code": "bureau",
                "bins": [{"missing": True, "points": 0}, {"min": 0, "points": 30}],
            },
            {
                "feature": "applications_weighted",
                "reason_code": "multi",
                "bins": [{"max": 1, "points": 20}, {"min": 1, "points": 0}],
            },
        ],
    )
    result = engine.score(
        card, features(open_external_loans=1, applications_weighted=2, bureau_score=None)
    )
    assert [(r.code, r.points_lost) for r in engine.principal_reasons(result)] == [
        ("multi", 40),
        ("bureau", 30),
    ]


# --- Policy ----------------------------------------------------------------------------------

POLICY = engine.parse_policy(
    version=3,
    keep_min_score=220,
    reduce_min_score=200,
    freeze_min_score=180,
    reduce_share="0.3",
    closure_buffer_days=30,
    knockouts=[
        {
            "name": "serious_overdue",
            "feature": "overdue_max_days_12m",
            "op": "gte",
            "value": 90,
            "outcome": "close",
            "reason_code": "serious_overdue",
        },
        {
            "name": "id_expired",
            "feature": "identity_expired",
            "op": "eq",
            "value": True,
            "outcome": "freeze",
            "reason_code": "id_expired",
        },
    ],
    segments=[
        {
            "name": "long_clean",
            "conditions": [
                {"feature": "account_age_months", "op": "gte", "value": 24},
                {"feature": "repayments_late_12m", "op": "eq", "value": 0},
            ],
            "close_becomes": "reduce_limit",
            "reduce_share": "0.5",
        }
    ],
)
# Max = 100 + 50 + 30 + 30 + 30 + 30 = 270.


@pytest.mark.parametrize(
    ("values", "outcome"),
    [
        ({"bureau_score": 650}, "keep"),  # 270
        ({"open_external_loans": 1, "bureau_score": 650, "account_age_months": 30}, "keep"),  # 240
        (
            {"open_external_loans": 2, "bureau_score": 500, "account_age_months": 30},
            "reduce_limit",
        ),  # 210
        (
            {
                "open_external_loans": 4,
                "bureau_score": 650,
                "applications_weighted": 2,
                "account_age_months": 30,
            },
            "freeze",
        ),  # 190
        (
            {
                "open_external_loans": 4,
                "bureau_score": 500,
                "applications_weighted": 2,
                "account_age_months": 3,
            },
            "close",
        ),  # 130
    ],
)
def test_score_thresholds_pick_the_outcome(values, outcome):
    assert engine.decide(POLICY, CARD, features(**values)).outcome == outcome


def test_keep_gives_no_reasons_and_adverse_outcomes_do():
    assert engine.decide(POLICY, CARD, features(bureau_score=650)).reasons == ()
    verdict = engine.decide(POLICY, CARD, features(open_external_loans=2, bureau_score=500))
    assert verdict.reasons


def test_knock_out_serious_overdue_closes_whatever_the_score():
    verdict = engine.decide(POLICY, CARD, features(bureau_score=650, overdue_max_days_12m=95))
    assert verdict.outcome == "close"
    assert verdict.knockouts == ("serious_overdue",)
    assert verdict.reasons[0].code == "serious_overdue"


def test_knock_out_identity_expired_pauses():
    verdict = engine.decide(POLICY, CARD, features(bureau_score=650, identity_expired=True))
    assert verdict.outcome == "freeze"
    assert [r.code for r in verdict.reasons] == ["id_expired"]
    assert verdict.reasons[0].points_lost == 0


def test_when_two_knock_outs_fire_the_stricter_outcome_wins_and_both_are_named():
    verdict = engine.decide(POLICY, CARD, features(identity_expired=True, overdue_max_days_12m=120))
    assert verdict.outcome == "close"
    assert [r.code for r in verdict.reasons][:2] == ["serious_overdue", "id_expired"]


def test_long_clean_history_gets_a_reduction_instead_of_a_closure():
    weak = {"open_external_loans": 4, "bureau_score": 500, "applications_weighted": 2}
    verdict = engine.decide(POLICY, CARD, features(**weak, account_age_months=30))
    assert (verdict.outcome, verdict.segment, verdict.reduce_share) == (
        "reduce_limit",
        "long_clean",
        Decimal("0.5"),
    )
    # A knock-out is never softened by a segment.
    verdict = engine.decide(
        POLICY, CARD, features(**weak, account_age_months=30, overdue_max_days_12m=100)
    )
    assert verdict.outcome == "close"


# --- Plans: what changes on the line ----------------------------------------------------------


def verdict(outcome, reasons=(("r", "bureau_score", 10, False),), buffer=30):
    return engine.Verdict(
        outcome=outcome,
        score=0,
        reasons=tuple(engine.Reason(*r) for r in reasons),
        reduce_share=Decimal("0.3"),
        closure_buffer_days=buffer,
    )


def state(status, limit="20000.00", **kw):
    return LineState(status=status, credit_limit=Decimal(limit), **kw)


@pytest.mark.parametrize(
    ("status", "outcome", "expected"),
    [
        ("active", "keep", None),
        ("active", "reduce_limit", ("reduce_limit", "active", "14000")),
        ("active", "freeze", ("freeze", "frozen", "20000.00")),
        ("active", "close", ("schedule_closure", "closing", "20000.00")),
        ("closing", "keep", ("reinstate", "active", "20000.00")),
        ("closing", "reduce_limit", ("reinstate", "active", "14000")),
        ("closing", "freeze", ("freeze", "frozen", "20000.00")),
        ("closing", "close", None),
        ("frozen", "keep", ("reinstate", "active", "20000.00")),
        ("frozen", "freeze", None),
        ("frozen", "close", ("schedule_closure", "closing", "20000.00")),
        ("closed", "keep", ("reinstate", "active", "20000.00")),
        ("closed", "freeze", None),
        ("closed", "close", None),
    ],
)
def test_plan_for_each_status_and_outcome(status, outcome, expected):
    plan = engine.plan_change(state(status), verdict(outcome))
    if expected is None:
        assert plan is None
    else:
        assert (plan.outcome, plan.new_status, plan.new_limit) == (
            expected[0],
            expected[1],
            Decimal(expected[2]),
        )


def test_a_reduced_limit_is_not_reduced_again_nor_raised_back_by_the_score():
    reduced = state("active", "14000.00", limit_reduced=True)
    assert engine.plan_change(reduced, verdict("reduce_limit")) is None
    assert engine.plan_change(reduced, verdict("keep")) is None


def test_a_pause_by_staff_or_campaign_is_not_lifted_by_the_scorecard_but_can_get_stricter():
    held = state("frozen", manual_hold=True)
    assert engine.plan_change(held, verdict("keep")) is None
    assert engine.plan_change(held, verdict("freeze")) is None
    assert engine.plan_change(held, verdict("close")).outcome == "schedule_closure"


def test_closure_notice_period_is_the_policy_s_unless_a_reason_carries_less():
    assert engine.plan_change(state("active"), verdict("close"), {"r": 30}).buffer_days == 30
    assert engine.plan_change(state("active"), verdict("close"), {"r": 0}).buffer_days == 0


def test_reduced_limit_rounds_down_to_whole_hundreds():
    assert engine.reduced_limit(Decimal("12345.67"), Decimal("0.3")) == Decimal("8600")


# --- Rule validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ([], "non-empty"),
        ([{"feature": "nope", "reason_code": "x", "bins": [{"points": 1}]}], "unknown feature"),
        ([{"feature": "bureau_score", "bins": [{"points": 1}]}], "reason_code"),
        (
            [{"feature": "bureau_score", "reason_code": "x", "bins": [{"points": "ten"}]}],
            "whole number",
        ),
        (
            [
                {
                    "feature": "bureau_score",
                    "reason_code": "x",
                    "bins": [{"max": 5, "points": 1}, {"min": 4, "points": 2}],
                }
            ],
            "overlap",
        ),
        (
            [
                {
                    "feature": "bureau_score",
                    "reason_code": "x",
                    "bins": [{"min": 5, "max": 5, "points": 1}],
                }
            ],
            "below max",
        ),
    ],
)
def test_a_broken_scorecard_is_refused_with_a_message_saying_where(attributes, message):
    with pytest.raises(engine.RulesError, match=message):
        engine.parse_scorecard(version=1, base_points=0, attributes=attributes)


def test_a_broken_policy_is_refused():
    good = {
        "version": 1,
        "keep_min_score": 3,
        "reduce_min_score": 2,
        "freeze_min_score": 1,
        "reduce_share": "0.3",
        "closure_buffer_days": 30,
        "knockouts": [],
        "segments": [],
    }
    engine.parse_policy(**good)
    with pytest.raises(engine.RulesError, match="ordered"):
        engine.parse_policy(**{**good, "keep_min_score": 0})
    with pytest.raises(engine.RulesError, match="between 0 and 1"):
        engine.parse_policy(**{**good, "reduce_share": "1.5"})
    with pytest.raises(engine.RulesError, match="outcome"):
        engine.parse_policy(
            **{
                **good,
                "knockouts": [
                    {
                        "feature": "bureau_score",
                        "op": "lt",
                        "value": 1,
                        "outcome": "explode",
                        "reason_code": "x",
                    }
                ],
            }
        )
    with pytest.raises(engine.RulesError, match="op must be"):
        engine.parse_policy(
            **{
                **good,
                "knockouts": [
                    {
                        "feature": "bureau_score",
                        "op": "~",
                        "value": 1,
                        "outcome": "close",
                        "reason_code": "x",
                    }
                ],
            }
        )
