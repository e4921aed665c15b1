"""A line's feature state (the facts that still count) and its next look: the features computed
from the state equal those computed from every event, now and at any later time, and no
feature changes before the next look."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from credit import engine
from credit.engine import state as feature_state

NOW = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
OPENED = NOW - timedelta(days=500)


def _data(kind: str, draw) -> dict:
    if kind == "repayment":
        due = (NOW - timedelta(days=draw(st.integers(-60, 500)))).date()
        paid = draw(st.one_of(st.none(), st.integers(-3, 10)))
        return {
            "due_date": due.isoformat(),
            "paid_at": None
            if paid is None
            else datetime(due.year, due.month, due.day, 3, tzinfo=UTC).isoformat()
            if paid == 0
            else (
                datetime(due.year, due.month, due.day, 3, tzinfo=UTC) + timedelta(days=paid)
            ).isoformat(),
            "amount": "1000.00",
        }
    if kind in ("external_loan_opened", "external_loan_closed"):
        return {"platform": draw(st.sampled_from("PQ")), "loan_id": "1", "amount": "5000.00"}
    if kind == "external_overdue":
        return {"days_past_due": draw(st.sampled_from((15, 45, 95, "x")))}
    if kind == "bureau_score":
        return {"score": draw(st.sampled_from((600, 720, "bad")))}
    if kind == "income_verified":
        return {"monthly_income": draw(st.sampled_from(("9000", "0", "20000")))}
    return {"platform": "P"}


KINDS = (
    "repayment",
    "external_loan_application",
    "external_loan_opened",
    "external_loan_closed",
    "external_overdue",
    "bureau_score",
    "income_verified",
    "identity_expired",
    "address_changed",
)


@st.composite
def histories(draw):
    """Events (distinct times, some after their arrival) and the times they arrive at."""
    count = draw(st.integers(0, 25))
    events = []
    for index in range(count):
        kind = draw(st.sampled_from(KINDS))
        at = NOW - timedelta(days=draw(st.integers(-200, 500)), microseconds=index)
        events.append((kind, at, _data(kind, draw)))
    arrivals = sorted(draw(st.lists(st.integers(0, 400), min_size=1, max_size=3)))
    return events, [NOW + timedelta(days=a, hours=3) for a in arrivals]


def _features(events, at):
    facts = engine.facts_from_rows(1, OPENED, Decimal("20000"), Decimal("3000"), events)
    return engine.compute_features(facts, as_of=at)


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 500), st.integers(0, 86_400))
def test_features_from_the_state_equal_those_from_every_event_later_on(history, days, seconds):
    events, arrivals = history
    state: list = []
    parts = [events[i :: len(arrivals)] for i in range(len(arrivals))]
    for part, arrival in zip(parts, arrivals, strict=True):
        state = feature_state.fold(state, part, as_of=arrival)
        # Stored as JSON between folds.
        state = feature_state.from_json(feature_state.to_json(state))
    later = arrivals[-1] + timedelta(days=days, seconds=seconds)
    assert _features(state, later) == _features(events, later)


@settings(max_examples=200, deadline=None)
@given(histories(), st.lists(st.floats(0, 1, exclude_max=True), min_size=20, max_size=20))
def test_no_feature_changes_between_looks_night_after_night(history, shares):
    """Night after night for a year and more: at any moment before the next look the features
    are those of the last look; the look is then taken and the next one computed."""
    events, arrivals = history
    at = arrivals[0]
    state = feature_state.fold([], events, as_of=at)
    for share in shares:
        seen = _features(state, at)
        look = feature_state.next_change(state, opened_at=OPENED, features=seen, as_of=at)
        assert look >= at
        for moment in (at + (look - at) * share, look - timedelta(microseconds=1)):
            if at <= moment < look:  # (a float share may round up to the look itself)
                assert _features(events, moment) == seen
        at = max(look, at + timedelta(hours=1))
        state = feature_state.fold(state, [], as_of=at)


def test_a_fresh_application_is_looked_at_again_when_it_leaves_the_30_day_window():
    applied = NOW - timedelta(days=10)
    events = [("external_loan_application", applied, {"platform": "P"})]
    state = feature_state.fold([], events, as_of=NOW)
    look = feature_state.next_change(
        state, opened_at=NOW - timedelta(days=45), features=_features(events, NOW), as_of=NOW
    )
    assert look == applied + timedelta(days=30)
    assert _features(events, look).applications_30d == 1
    assert _features(events, look + timedelta(seconds=1)).applications_30d == 0


def test_what_no_longer_counts_is_dropped_from_the_state():
    events = [
        ("external_loan_application", NOW - timedelta(days=91), {"platform": "P"}),
        ("bureau_score", NOW - timedelta(days=60), {"score": 600}),
        ("bureau_score", NOW - timedelta(days=5), {"score": 700, "band": "B"}),
        ("address_changed", NOW - timedelta(days=5), {"city": "Hangzhou"}),
    ]
    assert feature_state.fold([], events, as_of=NOW) == [
        ("bureau_score", NOW - timedelta(days=5), {"score": 700})
    ]


# Rules that read the two month counts at edges of every kind: bins (>= min, < max), a
# knock-out with `gt` on a fraction, a segment with `eq` and `lte`.
CARD = engine.parse_scorecard(
    version=1,
    base_points=600,
    attributes=[
        {
            "feature": "account_age_months",
            "reason_code": "age",
            "bins": [
                {"max": 6, "points": 0},
                {"min": 6, "max": 12.5, "points": 30},
                {"min": 12.5, "max": 24, "points": 45},
                {"min": 24, "points": 60},
            ],
        },
        {
            "feature": "bureau_score",
            "reason_code": "bureau",
            "bins": [
                {"missing": True, "points": 20},
                {"max": 650, "points": 0},
                {"min": 650, "points": 60},
            ],
        },
        {
            "feature": "applications_30d",
            "reason_code": "apps",
            "bins": [{"max": 1, "points": 40}, {"min": 1, "points": 0}],
        },
    ],
)
POLICY = engine.parse_policy(
    version=1,
    keep_min_score=700,
    reduce_min_score=680,
    freeze_min_score=660,
    reduce_share="0.3",
    closure_buffer_days=30,
    knockouts=[
        {
            "feature": "clean_repayment_months",
            "op": "lte",
            "value": 0.5,
            "outcome": "freeze",
            "reason_code": "clean",
        }
    ],
    segments=[
        {
            "name": "seven",
            "conditions": [{"feature": "clean_repayment_months", "op": "eq", "value": 7}],
            "close_becomes": "freeze",
        },
        {
            "name": "long",
            "conditions": [{"feature": "account_age_months", "op": "gt", "value": 30}],
        },
    ],
)


def _seen_by_rules(verdict):
    return (verdict.outcome, verdict.score, verdict.segment, verdict.knockouts, verdict.reasons)


def test_month_edges_are_where_the_rules_read_a_month_count_differently():
    edges = feature_state.month_edges(CARD, POLICY)
    assert edges["account_age_months"] == (6, 13, 24, 31)
    assert edges["clean_repayment_months"] == (1, 7, 8)


@settings(max_examples=200, deadline=None)
@given(
    histories(),
    st.integers(0, 900),
    st.lists(st.floats(0, 1, exclude_max=True), min_size=20, max_size=20),
)
def test_with_the_rules_edges_no_verdict_changes_between_looks(history, opened_days, shares):
    """A month count that crosses no edge of the rules is no look, and still no verdict (its
    outcome, score, segment, knock-outs, reasons) differs before the next look from the one
    the last look found; and the looks are never more than those without the edges."""
    events, arrivals = history
    opened = NOW - timedelta(days=opened_days)
    edges = feature_state.month_edges(CARD, POLICY)

    def verdict(state, at):
        facts = engine.facts_from_rows(1, opened, Decimal("20000"), Decimal("3000"), state)
        return engine.decide(POLICY, CARD, engine.compute_features(facts, as_of=at))

    at = arrivals[0]
    state = feature_state.fold([], events, as_of=at)
    for share in shares:
        seen = verdict(state, at)
        look = feature_state.next_change(
            state, opened_at=opened, features=seen.features, as_of=at, month_edges=edges
        )
        every_month = feature_state.next_change(
            state, opened_at=opened, features=seen.features, as_of=at
        )
        assert look >= every_month >= at
        for moment in (at + (look - at) * share, look - timedelta(microseconds=1)):
            if at <= moment < look:
                assert _seen_by_rules(verdict(events, moment)) == _seen_by_rules(seen)
        at = max(look, at + timedelta(hours=1))
        state = feature_state.fold(state, [], as_of=at)
