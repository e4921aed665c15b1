"""What a chunk of the nightly pass reads and decides on: each line's latest decision (ties
broken by the later id; whether the scorecard made it), and an instalment's deadline (the end
of its due day in the lender's time zone, whatever zone the payment is stamped in)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit import engine, selectors
from credit.models import CreditDecision
from tests.credit.factories import SHANGHAI, make_line

DUE = date(2026, 3, 10)
# The end of 10 March in Shanghai is 16:00 UTC that day.
DEADLINE_UTC = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


def _decision(line, *, outcome, new_limit, created_at, scorecard=None):
    return CreditDecision.objects.create(
        line=line,
        trigger="staff" if scorecard is None else "periodic",
        scorecard=scorecard,
        outcome=outcome,
        old_status="active",
        new_status="active",
        old_limit=Decimal("20000.00"),
        new_limit=Decimal(new_limit),
        created_at=created_at,
    )


@pytest.mark.django_db
def test_the_latest_decision_of_each_line_is_read_ties_going_to_the_later_one():
    scorecard = selectors.active_rules().scorecard
    cut, reinstated, untouched = make_line(), make_line(), make_line()
    then = timezone.now() - timedelta(days=3)
    same = timezone.now() - timedelta(days=1)
    _decision(cut, outcome="reinstate", new_limit="20000.00", created_at=then)
    _decision(cut, outcome="keep", new_limit="20000.00", created_at=same)
    # Written after the one above with the same stamp (one chunk's decisions share it).
    _decision(
        cut, outcome="reduce_limit", new_limit="15000.00", created_at=same, scorecard=scorecard
    )
    _decision(reinstated, outcome="reduce_limit", new_limit="15000.00", created_at=then)
    _decision(reinstated, outcome="reinstate", new_limit="20000.00", created_at=same)

    last = selectors.last_decisions([cut.pk, reinstated.pk, untouched.pk])

    assert set(last) == {cut.pk, reinstated.pk}  # a line never decided has none
    assert last[cut.pk] == selectors.LastDecision(
        "reduce_limit", Decimal("20000.00"), Decimal("15000.00"), True
    )
    assert last[reinstated.pk] == selectors.LastDecision(
        "reinstate", Decimal("20000.00"), Decimal("20000.00"), False
    )
    # What the plan makes of it: the scorecard's cut is undone by a "keep", a staff one not.
    state = selectors.line_state(cut, last[cut.pk])
    assert state.limit_reduced and state.limit_before_reduction == Decimal("20000.00")


def _repaid(paid_at: datetime) -> engine.Features:
    facts = engine.facts_from_rows(
        1,
        datetime(2025, 1, 1, tzinfo=UTC),
        Decimal("20000"),
        Decimal("0"),
        [
            (
                "repayment",
                paid_at,
                {"due_date": DUE.isoformat(), "paid_at": paid_at.isoformat(), "amount": "1000"},
            )
        ],
    )
    return engine.compute_features(facts, as_of=datetime(2026, 3, 20, tzinfo=UTC))


@pytest.mark.parametrize(
    ("paid_at", "late"),
    [
        (DEADLINE_UTC - timedelta(seconds=1), 0),
        (datetime(2026, 3, 10, 23, 59, 59, tzinfo=SHANGHAI), 0),  # the same instant
        (DEADLINE_UTC, 1),
        (datetime(2026, 3, 11, 0, 0, tzinfo=SHANGHAI), 1),  # the same instant
    ],
)
def test_an_instalment_is_late_from_the_end_of_its_due_day_in_the_lenders_zone(paid_at, late):
    features = _repaid(paid_at)
    assert (features.repayments_due_12m, features.repayments_late_12m) == (1, late)


def test_the_next_look_falls_on_the_deadline_of_an_instalment_not_yet_due():
    as_of = datetime(2026, 3, 9, tzinfo=UTC)
    state = [("repayment", as_of, {"due_date": DUE.isoformat()})]
    opened = datetime(2025, 1, 1, tzinfo=UTC)
    facts = engine.facts_from_rows(1, opened, Decimal("20000"), Decimal("0"), state)
    features = engine.compute_features(facts, as_of=as_of)

    ahead = engine.state.next_change(state, opened_at=opened, features=features, as_of=as_of)

    assert ahead == DEADLINE_UTC
    # Just before it the instalment is not yet due; at it, it is due and unpaid.
    before = engine.compute_features(facts, as_of=ahead - timedelta(seconds=1))
    at = engine.compute_features(facts, as_of=ahead)
    assert (before.repayments_due_12m, at.repayments_due_12m, at.repayments_late_12m) == (0, 1, 1)
