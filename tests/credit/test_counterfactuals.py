"""Exact counterfactuals of an adverse decision (pure engine): what the borrower could change
today, and the first day the decision would change by itself."""

import importlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit import engine
from credit.engine import EventFact, LineFacts, compute_features
from credit.engine import counterfactuals as cf

V1 = importlib.import_module("credit.migrations.0002_v1_reason_codes_scorecard_policy")
CARD = engine.parse_scorecard(version=1, **V1.SCORECARD_V1)
POLICY = engine.parse_policy(version=1, **V1.POLICY_V1)
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def verdict_at(facts, at):
    return engine.decide(POLICY, CARD, compute_features(facts, as_of=at))


def line(*events, opened_days=900, balance="3000.00"):
    return LineFacts(
        line_id=1,
        opened_at=NOW - timedelta(days=opened_days),
        credit_limit=Decimal("20000.00"),
        balance=Decimal(balance),
        events=tuple(EventFact(kind, when, data) for kind, when, data in events),
    )


def repayments(months=12, late=()):
    out = []
    for i in range(months, 0, -1):
        due = (NOW - timedelta(days=30 * i)).date()
        paid = datetime.combine(due, datetime.min.time(), tzinfo=UTC) + timedelta(
            days=5 if i in late else 0
        )
        out.append(("repayment", paid, {"due_date": due.isoformat(), "paid_at": paid.isoformat()}))
    return out


def loans(n, days_ago=10, amount="5000.00"):
    out = []
    for i in range(n):
        when = NOW - timedelta(days=days_ago + i)
        out.append(("external_loan_application", when, {"platform": f"P{i}"}))
        out.append(
            (
                "external_loan_opened",
                when,
                {"platform": f"P{i}", "loan_id": str(i), "amount": amount},
            )
        )
    return out


def income(monthly="15000", days_ago=200):
    return ("income_verified", NOW - timedelta(days=days_ago), {"monthly_income": monthly})


def bureau(score=700):
    return ("bureau_score", NOW - timedelta(days=20), {"score": score})


def answers(facts):
    return {a.kind: a for a in cf.counterfactuals(POLICY, CARD, facts, as_of=NOW)}


# --- Stories a borrower would recognise -----------------------------------------------------


def test_loans_at_three_platforms_closing_one_keeps_the_line_and_time_alone_gives_a_date():
    facts = line(*repayments(), income(), bureau(), *loans(3))
    assert verdict_at(facts, NOW).outcome != "keep"
    found = answers(facts)
    actions = found[cf.ACTIONS]
    assert [c.action for c in actions.changes] == [cf.CLOSE_LOANS]
    closed = actions.changes[0]
    assert closed.before == 3 and closed.after < 3 and len(closed.loans) == 3 - closed.after
    assert "multi_lending_open_loans" in actions.reasons
    after = cf.apply_changes(facts, actions.changes, as_of=NOW)
    assert verdict_at(after, NOW).outcome == "keep"
    # Time alone: the applications age out, but the loans stay open; the score is what it is.
    if cf.TIME in found:
        day = found[cf.TIME].on
        assert verdict_at(facts, cf.start_of_day(day)).outcome == "keep"


def test_recent_applications_alone_pass_again_on_the_first_day_they_weigh_less():
    apps = [
        ("external_loan_application", NOW - timedelta(days=d), {"platform": f"P{d}"})
        for d in (2, 3, 5)
    ]
    # No income verified yet and a low credit report score: just under the line.
    facts = line(*repayments(), bureau(520), *apps, opened_days=200)
    assert verdict_at(facts, NOW).outcome != "keep"
    found = answers(facts)
    day = found[cf.TIME].on
    assert verdict_at(facts, cf.start_of_day(day)).outcome == "keep"
    assert verdict_at(facts, cf.start_of_day(day - timedelta(days=1))).outcome != "keep"
    # Applications made cannot be undone: the action offered is to verify an income.
    assert [c.action for c in found[cf.ACTIONS].changes] == [cf.VERIFY_INCOME]
    # The oldest application turns 30 days old 25 days from now: it weighs half from then.
    assert day - NOW.date() in (timedelta(days=25), timedelta(days=26))
    assert "multi_lending_applications" in found[cf.TIME].reasons


def test_a_serious_overdue_knock_out_says_the_day_it_stops_and_no_action_changes_it():
    overdue = (
        "external_overdue",
        NOW - timedelta(days=100),
        {"days_past_due": 95, "platform": "PX"},
    )
    facts = line(*repayments(), income(), bureau(), overdue)
    verdict = verdict_at(facts, NOW)
    assert verdict.knockouts == ("serious_overdue_elsewhere",)
    found = answers(facts)
    knockout = found[cf.KNOCKOUT]
    assert knockout.changes == ()
    assert knockout.reasons == ("external_overdue_serious",)
    # The record leaves the 12-month window 365 days after it was reported.
    stops = knockout.on
    assert "serious_overdue_elsewhere" not in verdict_at(facts, cf.start_of_day(stops)).knockouts
    assert (
        "serious_overdue_elsewhere"
        in verdict_at(facts, cf.start_of_day(stops - timedelta(days=1))).knockouts
    )
    assert found[cf.NO_ACTION].reasons[0] == "external_overdue_serious"


def test_too_many_open_loans_knock_out_says_how_many_to_close():
    facts = line(*repayments(), income("40000"), bureau(780), *loans(6, days_ago=200))
    assert verdict_at(facts, NOW).knockouts == ("too_many_open_loans_elsewhere",)
    knockout = answers(facts)[cf.KNOCKOUT]
    (change,) = knockout.changes
    assert change.action == cf.CLOSE_LOANS and change.after == 5 and len(change.loans) == 1
    after = cf.apply_changes(facts, knockout.changes, as_of=NOW)
    assert "too_many_open_loans_elsewhere" not in verdict_at(after, NOW).knockouts


def test_an_expired_identity_document_is_renewed_not_waited_for():
    expired = ("identity_expired", NOW - timedelta(days=3), {})
    facts = line(*repayments(), income(), bureau(760), expired)
    assert verdict_at(facts, NOW).knockouts == ("identity_document_expired",)
    found = answers(facts)
    assert [c.action for c in found[cf.KNOCKOUT].changes] == [cf.RENEW_IDENTITY]
    assert [c.action for c in found[cf.ACTIONS].changes] == [cf.RENEW_IDENTITY]
    assert cf.TIME not in found  # an expired document does not renew itself


def test_campaign_and_regulation_say_nothing_the_borrower_does_changes_them():
    campaign = cf.campaign_counterfactual(["policy_adjustment"], date(2027, 1, 15))
    assert campaign.as_dict()["kind"] == "campaign"
    assert campaign.as_dict()["on"] == "2027-01-15" and campaign.changes == ()
    regulation = cf.regulatory_counterfactual(["regulatory_requirement"])
    assert regulation.as_dict()["changes"] == [] and regulation.outcome is None


def test_stored_form_round_trips_to_the_same_changes():
    facts = line(*repayments(), income(), bureau(), *loans(3))
    actions = answers(facts)[cf.ACTIONS]
    stored = [cf.Change.from_dict(d) for d in actions.as_dict()["changes"]]
    assert verdict_at(cf.apply_changes(facts, stored, as_of=NOW), NOW).outcome == "keep"


# --- Properties over random histories -------------------------------------------------------


@st.composite
def histories(draw):
    events = []
    months = draw(st.integers(0, 12))
    late = draw(st.sets(st.integers(1, 12), max_size=4))
    events += repayments(months, late=late)
    for i in range(draw(st.integers(0, 5))):
        age = draw(st.integers(0, 120))
        events.append(
            ("external_loan_application", NOW - timedelta(days=age, hours=i), {"platform": "A"})
        )
    for i in range(draw(st.integers(0, 7))):
        age = draw(st.integers(0, 200))
        amount = draw(st.sampled_from(["1000.00", "5000.00", "12000.00"]))
        data = {"platform": f"P{i}", "loan_id": str(i), "amount": amount}
        events.append(("external_loan_opened", NOW - timedelta(days=age, hours=i), data))
        if draw(st.booleans()) and draw(st.booleans()):
            events.append(("external_loan_closed", NOW - timedelta(days=age // 2), data))
    for _ in range(draw(st.integers(0, 2))):
        events.append(
            (
                "external_overdue",
                NOW - timedelta(days=draw(st.integers(0, 380))),
                {"days_past_due": draw(st.sampled_from([5, 35, 65, 95]))},
            )
        )
    if draw(st.booleans()):
        events.append(income(str(draw(st.integers(2000, 40000))), draw(st.integers(1, 500))))
    if draw(st.booleans()):
        events.append(bureau(draw(st.integers(450, 850))))
    if draw(st.integers(0, 5)) == 0:
        events.append(("identity_expired", NOW - timedelta(days=draw(st.integers(0, 100))), {}))
    return line(
        *events,
        opened_days=draw(st.integers(20, 1500)),
        balance=str(draw(st.integers(0, 20000))),
    )


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(histories())
def test_a_reported_set_of_actions_gives_the_outcome_it_promises(facts):
    verdict = verdict_at(facts, NOW)
    found = cf.counterfactuals(POLICY, CARD, facts, as_of=NOW)
    if verdict.outcome == "keep":
        assert found == ()
        return
    for answer in found:
        for change in answer.changes:
            # Only actionable facts; never history, account age or the bureau's figure.
            assert change.fact in cf.ACTIONS_BY_FACT
            assert change.fact not in cf.IMMUTABLE_FEATURES
        if answer.kind == cf.ACTIONS:
            after = cf.apply_changes(facts, answer.changes, as_of=NOW)
            assert verdict_at(after, NOW).outcome == answer.outcome == "keep"
            # Smallest: no change in the set can be left out.
            if len(answer.changes) > 1:
                assert answer.together
                for left_out in answer.changes:
                    rest = [c for c in answer.changes if c is not left_out]
                    assert verdict_at(cf.apply_changes(facts, rest, as_of=NOW), NOW).outcome != (
                        "keep"
                    )
        if answer.kind == cf.KNOCKOUT and answer.changes:
            after = cf.apply_changes(facts, answer.changes, as_of=NOW)
            assert answer.rule not in verdict_at(after, NOW).knockouts
    kinds = [a.kind for a in found]
    assert (cf.ACTIONS in kinds) != (cf.NO_ACTION in kinds)
    assert kinds.count(cf.KNOCKOUT) == len(verdict.knockouts)


@SETTINGS
@given(histories())
def test_the_time_alone_date_is_the_first_day_the_outcome_is_no_longer_adverse(facts):
    if verdict_at(facts, NOW).outcome == "keep":
        return
    found = {a.kind: a for a in cf.counterfactuals(POLICY, CARD, facts, as_of=NOW)}
    today = NOW.astimezone(engine.features.LENDER_TZ).date()
    promised = found[cf.TIME].on if cf.TIME in found else None
    # Brute force, every day: the first day whose start passes the check.
    first = None
    for n in range(1, cf.HORIZON_DAYS + 1):
        day = today + timedelta(days=n)
        if verdict_at(facts, cf.start_of_day(day)).outcome == "keep":
            first = day
            break
    assert promised == first
    if promised is not None:
        assert found[cf.TIME].outcome == "keep"
        before = promised - timedelta(days=1)
        at = NOW if before == today else cf.start_of_day(before)
        assert verdict_at(facts, at).outcome != "keep"


def _days_walking_every_edge(self, as_of, horizon_days, groups=cf.ALL_GROUPS):
    """The walk's days as first written (every late repayment's months, every instant turned
    into a lender's day): the reference the pruned walk must answer the same as."""
    instants = []
    months = horizon_days / cf.DAYS_PER_MONTH + 2

    def monthly(since, *groups):
        elapsed = max((as_of - since).total_seconds() / 86400 / cf.DAYS_PER_MONTH, 0)
        for k in range(int(elapsed // 1), -int(-(elapsed + months) // 1) + 1):
            instants.extend((since + timedelta(days=k * cf.DAYS_PER_MONTH), g) for g in groups)

    if cf.APPLICATIONS in groups:
        for at in self.applications:
            instants.extend((at + w, cf.APPLICATIONS) for w, _ in cf.APPLICATION_WEIGHTS)
    if cf.OPENED in groups:
        for at in self.opened:
            instants.extend((at + w, cf.OPENED) for w, _ in cf.APPLICATION_WEIGHTS)
    if cf.OVERDUE in groups:
        instants.extend((at + cf.OVERDUE_WINDOW, cf.OVERDUE) for at, _ in self.overdue)
    for deadline, paid in self.instalments:
        if cf.REPAYMENTS in groups:
            instants += [(deadline, cf.REPAYMENTS), (deadline + cf.REPAYMENT_WINDOW, cf.REPAYMENTS)]
        if cf.CLEAN in groups:
            instants.append((deadline, cf.CLEAN))
            if paid is not None and paid >= deadline:
                instants.append((paid, cf.CLEAN))
                monthly(paid, cf.CLEAN)
    monthly(self.opened_at, *(g for g in (cf.AGE, cf.CLEAN) if g in groups))
    first = cf._lender_date(as_of) + timedelta(days=1)
    last = cf._lender_date(as_of) + timedelta(days=horizon_days)
    by_day = {}
    for instant, group in instants:
        day = cf._lender_date(instant)
        for d in (day, day + timedelta(days=1)):
            if first <= d <= last:
                by_day.setdefault(d, set()).add(group)
    return [(d, frozenset(by_day[d])) for d in sorted(by_day)]


@st.composite
def late_histories(draw):
    """Histories with many late repayments, some paid weeks late, some never paid, some not
    due yet, decided on any of the next 60 days: what the pruned walk skips most of."""
    facts = draw(histories())
    extra = []
    for i in range(draw(st.integers(0, 6))):
        due = (NOW - timedelta(days=draw(st.integers(-90, 400)))).date()  # some still ahead
        paid = None
        if draw(st.booleans()):
            paid = NOW - timedelta(days=draw(st.integers(0, 400)), hours=i)
        data = {"due_date": due.isoformat(), "paid_at": paid.isoformat() if paid else None}
        extra.append(EventFact("repayment", paid or NOW - timedelta(days=1), data))
    return LineFacts(
        line_id=facts.line_id,
        opened_at=facts.opened_at,
        credit_limit=facts.credit_limit,
        balance=facts.balance,
        events=facts.events + tuple(extra),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(late_histories(), st.integers(0, 60))
def test_the_pruned_walk_answers_as_the_walk_over_every_edge(facts, later):
    as_of = NOW + timedelta(days=later, hours=later % 7)
    found = cf.counterfactuals(POLICY, CARD, facts, as_of=as_of)
    original = cf._Replay.days
    cf._Replay.days = _days_walking_every_edge
    try:
        expected = cf.counterfactuals(POLICY, CARD, facts, as_of=as_of)
    finally:
        cf._Replay.days = original
    assert found == expected
    # The days it skips are days on which no feature moves.
    replay = cf._Replay(cf._as_it_stands(facts, as_of), {})
    kept = dict(replay.days(as_of, cf.HORIZON_DAYS))
    values = replay.values(as_of)
    for day, _ in _days_walking_every_edge(replay, as_of, cf.HORIZON_DAYS):
        now = replay.values(cf.start_of_day(day))
        if day not in kept:
            assert now == values, day
        values = now
