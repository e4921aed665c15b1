"""What appeals teach the scorecard (pure engine): overturns per reason and per bin, and the
proposed draft that moves the most overturned bins and thresholds, and nothing else."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from credit import engine
from credit.engine.lessons import AppealedCase, overturns_by_bin, overturns_by_reason, propose

ATTRIBUTES = [
    {
        "feature": "open_external_loans",
        "label": "Loans open at other platforms now",
        "reason_code": "multi_lending_open_loans",
        "bins": [
            {"label": "none", "max": 1, "points": 130},
            {"label": "1", "min": 1, "max": 2, "points": 95},
            {"label": "2", "min": 2, "max": 3, "points": 50},
            {"label": "3 or more", "min": 3, "points": 0},
        ],
    },
    {
        "feature": "overdue_max_days_12m",
        "label": "Longest overdue elsewhere",
        "reason_code": "overdue_elsewhere",
        "bins": [
            {"label": "never overdue", "max": 1, "points": 90},
            {"label": "1 to 29 days", "min": 1, "max": 30, "points": 50},
            {"label": "30 days or more", "min": 30, "points": 0},
        ],
    },
]
CARD = engine.parse_scorecard(version=1, base_points=300, attributes=ATTRIBUTES)


def policy(**overrides):
    values = {
        "version": 1,
        "keep_min_score": 480,
        "reduce_min_score": 440,
        "freeze_min_score": 400,
        "reduce_share": "0.5",
        "closure_buffer_days": 30,
        "knockouts": [
            {
                "name": "serious_overdue",
                "feature": "overdue_max_days_12m",
                "op": "gte",
                "value": 90,
                "outcome": "close",
                "reason_code": "overdue_elsewhere",
            }
        ],
        "segments": [],
    }
    values.update(overrides)
    return engine.parse_policy(**values)


def case(overturned, loans=0, overdue=0, codes=("multi_lending_open_loans",)):
    return AppealedCase(
        overturned=overturned,
        features={"open_external_loans": loans, "overdue_max_days_12m": overdue},
        reason_codes=codes,
    )


def test_overturns_are_counted_per_reason_code_most_overturned_first():
    tallies = overturns_by_reason(
        [
            case(True, codes=("a", "b")),
            case(True, codes=("b",)),
            case(False, codes=("a", "a")),  # a code given twice counts once
        ]
    )
    assert list(tallies) == ["b", "a"]
    assert (tallies["b"].overturned, tallies["b"].upheld) == (2, 0)
    assert (tallies["a"].overturned, tallies["a"].upheld) == (1, 1)


def test_overturns_are_counted_per_bin_of_the_card_with_the_overturned_cases_values():
    bins = overturns_by_bin(CARD, [case(True, loans=3), case(True, loans=5), case(False, loans=2)])
    by_label = {(b.feature, b.bin_label): b for b in bins}
    three = by_label[("open_external_loans", "3 or more")]
    assert (three.tally.overturned, three.tally.upheld, three.points_lost) == (2, 0, 130)
    assert sorted(three.overturned_values) == [3, 5]
    assert by_label[("open_external_loans", "2")].tally.upheld == 1
    assert by_label[("overdue_max_days_12m", "never overdue")].tally.overturned == 2
    assert len(bins) == 7  # every bin, even those no appeal fell in


def test_the_most_overturned_costly_bin_gives_back_half_its_points_and_nothing_else_moves():
    cases = [case(True, loans=3)] * 4 + [case(False, loans=3)] + [case(False, loans=2)] * 3
    # 3 loans, never overdue: 390 points, 30 below the pause threshold (no threshold moves).
    rules = policy(freeze_min_score=420)
    proposal = propose(card=CARD, attributes_json=ATTRIBUTES, policy=rules, cases=cases)

    assert [(m.kind, m.name, m.label, m.old, m.new) for m in proposal.moves] == [
        ("bin", "open_external_loans", "3 or more", 0, 65)
    ]
    moved = proposal.attributes[0]["bins"][3]
    assert moved["points"] == 65
    expected = copy.deepcopy(ATTRIBUTES)
    expected[0]["bins"][3]["points"] = 65
    assert proposal.attributes == expected
    assert ATTRIBUTES[0]["bins"][3]["points"] == 0  # the active card's JSON is not touched
    # "never overdue" costs nothing: however often overturned, it is never moved.
    assert not any(m.label == "never overdue" for m in proposal.moves)
    engine.parse_scorecard(version=2, base_points=300, attributes=proposal.attributes)


def test_a_bin_people_mostly_uphold_or_with_too_few_overturns_does_not_move():
    mostly_upheld = [case(True, loans=3)] * 3 + [case(False, loans=3)] * 4
    too_few = [case(True, loans=3)] * 2
    for cases in (mostly_upheld, too_few):
        proposal = propose(card=CARD, attributes_json=ATTRIBUTES, policy=policy(), cases=cases)
        assert proposal.moves == ()


def test_knocked_out_cases_teach_no_bin():
    knocked_out = [case(True, loans=3, overdue=120)] * 5
    proposal = propose(card=CARD, attributes_json=ATTRIBUTES, policy=policy(), cases=knocked_out)
    assert proposal.moves == ()
    assert all(b.tally.decided == 0 for b in proposal.bins)


def test_a_threshold_overturned_just_below_is_lowered_but_never_below_the_next_one():
    # One loan open and 5 days overdue elsewhere: 300 + 95 + 50 = 445 points.
    near_keep = [case(True, loans=1, overdue=5)] * 3
    proposal = propose(
        card=CARD,
        attributes_json=ATTRIBUTES,
        policy=policy(keep_min_score=450, reduce_min_score=444),
        cases=near_keep,
        threshold_margin=15,
    )
    threshold_moves = [m for m in proposal.moves if m.kind == "threshold"]
    # 445 is within 15 below keep (450): keep is lowered, but not below reduce (444).
    assert [(m.name, m.old, m.new) for m in threshold_moves] == [("keep_min_score", 450, 444)]
    assert proposal.thresholds == {
        "keep_min_score": 444,
        "reduce_min_score": 444,
        "freeze_min_score": 400,
    }


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 6), st.integers(0, 200)), min_size=0, max_size=40
    ),
    st.integers(1, 5),
    st.floats(0.1, 1.0),
)
def test_any_proposal_is_a_valid_draft_that_is_never_stricter(raw_cases, min_cases, min_share):
    cases = [case(o, loans=loans, overdue=overdue) for o, loans, overdue in raw_cases]
    rules = policy()
    proposal = propose(
        card=CARD,
        attributes_json=ATTRIBUTES,
        policy=rules,
        cases=cases,
        min_cases=min_cases,
        min_share=min_share,
    )
    new_card = engine.parse_scorecard(version=2, base_points=300, attributes=proposal.attributes)
    new_policy = policy(**proposal.thresholds)  # the thresholds stay ordered
    assert len([m for m in proposal.moves if m.kind == "bin"]) <= 3
    for old_attr, new_attr in zip(CARD.attributes, new_card.attributes, strict=True):
        for old_bin, new_bin in zip(old_attr.bins, new_attr.bins, strict=True):
            assert old_bin.points <= new_bin.points <= old_attr.max_points
    for name in ("keep_min_score", "reduce_min_score", "freeze_min_score"):
        assert getattr(new_policy, name) <= getattr(rules, name)
    # Never stricter: no appealed case gets a harsher outcome under the proposal.
    severity = {"keep": 0, "reduce_limit": 1, "freeze": 2, "close": 3}
    for c in cases:
        features = engine.Features(**{**_blank_features(), **c.features})
        was = engine.decide(rules, CARD, features).outcome
        now = engine.decide(new_policy, new_card, features).outcome
        assert severity[now] <= severity[was]


def _blank_features():
    return {
        name: (None if name in {"on_time_ratio_12m", "debt_to_income", "bureau_score"} else 0)
        for name in engine.feature_names()
    }
