"""The counterfactuals search gives what it gave before it was made cheaper: the search as it
read then (its scorer, what-if, replay of later days, the walk to the first passing day and
the putting together) is kept here verbatim, and both are run on many generated lines, at
many times, against several scorecards and policies."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit import engine
from credit.engine import EventFact, LineFacts
from credit.engine import counterfactuals as cf
from credit.engine.counterfactuals import (
    ACTIONABLE_FEATURES,
    ACTIONS,
    AGE,
    ALL_GROUPS,
    APPLICATIONS,
    CLEAN,
    CLOSE_LOANS,
    GROUP_FEATURES,
    HORIZON_DAYS,
    KNOCKOUT,
    MAX_STEPS,
    NO_ACTION,
    NON_ADVERSE,
    OPENED,
    OVERDUE,
    RENEW_IDENTITY,
    REPAY_BALANCE,
    REPAYMENTS,
    TIME,
    TIMED_FEATURES,
    VERIFY_INCOME,
    Change,
    Counterfactual,
    _as_it_stands,
    _attribute,
    _aware,
    _candidate_changes,
    _effort,
    _keyed,
    _lender_date,
    _merge,
    _ordered,
    _points,
    _repaid_late_by,
    _total_effort,
    apply_changes,
)
from credit.engine.decide import Verdict, decide
from credit.engine.features import (
    APPLICATION_WEIGHTS,
    DAYS_PER_MONTH,
    LENDER_TZ,
    OVERDUE_WINDOW,
    REPAYMENT_WINDOW,
    _decimal,
    _end_of_day,
    _parse_date,
    _parse_datetime,
    compute_features,
)
from credit.engine.rules import Knockout, PolicyRules, ScorecardRules

from . import test_counterfactuals as stories
from . import test_feature_state as edges
from .test_engine_twins import V1_CARD

# --- The search as it read before (credit/engine/counterfactuals.py at 8487842) -----------


class _Search:
    """One counterfactual search: the facts at the decision and a quick check of the policy.

    The search replays many variants of the facts (later days, changed facts). Each variant's
    features are derived from the decision's own by the few fields that can differ, and only
    the score and the knock-outs are computed; every answer reported is then checked with the
    engine itself (`compute_features` and `decide`), and a mismatch falls back to the engine.
    """

    def __init__(
        self,
        policy: PolicyRules,
        card: ScorecardRules,
        facts: LineFacts,
        as_of: datetime,
        features: dict | None = None,
    ):
        self.policy = policy
        self.card = card
        self.facts = _as_it_stands(facts, as_of)
        self.as_of = as_of
        self.evaluations = 0
        # The decision's own features when the caller has them (the engine just made them).
        self.base = features if features is not None else self.features(self.facts, as_of)
        self.scorer = _scorer_for(card)
        self._replay: _Replay | None = None
        # Only the groups of timed features the scorecard or a knock-out reads are replayed.
        read = set(self.scorer.features) | {k.condition.feature for k in policy.knockouts}
        self.groups = frozenset(g for g, fs in GROUP_FEATURES.items() if read & set(fs))

    def features(self, facts: LineFacts, at: datetime) -> dict:
        self.evaluations += 1
        return compute_features(facts, as_of=at).as_dict()

    def engine_passes(self, facts: LineFacts, at: datetime) -> bool:
        """The check every reported answer passes: the engine's own features of the facts."""
        return self.passes(self.features(facts, at))

    def verdict(self, facts: LineFacts, at: datetime) -> Verdict:
        self.evaluations += 1
        return decide(self.policy, self.card, compute_features(facts, as_of=at))

    def quick(self, values: dict) -> tuple[int, tuple[str, ...]]:
        """The score and the knock-outs that fire, as `decide` computes them."""
        total = self.scorer.base_points + sum(self.scorer.points_all(values))
        fired = tuple(k.name for k in self.policy.knockouts if k.condition.holds(values))
        return total, fired

    def passes_with(self, values: dict, score: int) -> bool:
        """`passes`, the score already known."""
        return score >= self.policy.keep_min_score and not any(
            k.condition.holds(values) for k in self.policy.knockouts
        )

    def may_pass_by_time(self) -> bool:
        """False when time alone cannot make the line pass: a knock-out on a fact time does
        not move fires, or the score stays short with every attribute time moves at its
        best."""
        for knockout in self.policy.knockouts:
            if knockout.condition.feature not in TIMED_FEATURES and knockout.condition.holds(
                self.base
            ):
                return False
        scorer = self.scorer
        points = scorer.points_all(self.base)
        best = scorer.base_points + sum(
            scorer.best[i] if feature in TIMED_FEATURES else points[i]
            for i, feature in enumerate(scorer.features)
        )
        return best >= self.policy.keep_min_score

    def replay(self) -> _Replay:
        if self._replay is None:
            self._replay = _Replay(self.facts, self.base)
        return self._replay

    def passes(self, values: dict) -> bool:
        """Non-adverse: no knock-out fires and the score reaches the keep threshold (a
        segment only ever softens a closure, so it never makes a line pass)."""
        score, fired = self.quick(values)
        return not fired and score >= self.policy.keep_min_score

    def at(self, moment: datetime) -> dict:
        return self.replay().values(moment)


class _Scorer:
    """The scorecard's points per attribute, matched as `Bin.matches` does, without objects."""

    def __init__(self, card: ScorecardRules):
        self.base_points = card.base_points
        self.features = tuple(a.feature for a in card.attributes)
        self.bins = tuple(
            tuple((b.min, b.max, b.missing, b.points) for b in a.bins) for a in card.attributes
        )
        self.worst = tuple(min(b.points for b in a.bins) for a in card.attributes)
        self.best = tuple(a.max_points for a in card.attributes)
        self.by_feature_group = {
            group: tuple(i for i, f in enumerate(self.features) if f in features)
            for group, features in GROUP_FEATURES.items()
        }

    def points(self, index: int, values: dict) -> int:
        value = values.get(self.features[index])
        if value is None:
            for _, _, missing, points in self.bins[index]:
                if missing:
                    return points
            return self.worst[index]
        value = float(value)
        for low, high, missing, points in self.bins[index]:
            if not missing and (low is None or value >= low) and (high is None or value < high):
                return points
        return self.worst[index]

    def points_all(self, values: dict) -> list[int]:
        return [self.points(i, values) for i in range(len(self.features))]


# The scorer of the card a batch decides with, built once for its adverse decisions (the card
# is immutable; kept by identity, so an equal card loaded again gets its own).
_SCORERS: dict[int, tuple[ScorecardRules, _Scorer]] = {}


def _scorer_for(card: ScorecardRules) -> _Scorer:
    kept = _SCORERS.get(id(card))
    if kept is not None and kept[0] is card:
        return kept[1]
    if len(_SCORERS) >= 16:
        _SCORERS.clear()
    scorer = _Scorer(card)
    _SCORERS[id(card)] = (card, scorer)
    return scorer


def _open_loans(facts: LineFacts, as_of: datetime) -> list[tuple[Decimal, str, str]]:
    """(amount, platform, loan_id) of each loan open at other platforms, largest first."""
    opened: dict[tuple[str, str], Decimal] = {}
    for event in sorted(facts.events, key=lambda e: e.occurred_at):
        if event.occurred_at > as_of:
            continue
        data = event.data or {}
        key = (str(data.get("platform", "")), str(data.get("loan_id", "")))
        if event.kind == "external_loan_opened":
            opened[key] = _decimal(data.get("amount")) or Decimal(0)
        elif event.kind == "external_loan_closed":
            opened.pop(key, None)
    return sorted(((a, p, i) for (p, i), a in opened.items()), key=lambda x: (-x[0], x[1], x[2]))


class _WhatIf:
    """The features today had the borrower made some changes, derived from today's own."""

    def __init__(self, search: _Search):
        self.search = search
        self.loans = _open_loans(search.facts, search.as_of)
        self.debt = sum((a for a, _, _ in self.loans), Decimal(0))
        income = search.base["monthly_income"]
        self.income = None if income is None else Decimal(str(income))

    def values(self, changes: dict) -> dict:
        values = dict(self.search.base)
        balance = self.search.facts.balance
        debt = self.debt
        income = self.income
        close = changes.get(CLOSE_LOANS)
        if close is not None:
            closed = set(close.loans)
            debt -= sum((a for a, p, i in self.loans if (p, i) in closed), Decimal(0))
            values["open_external_loans"] = len(self.loans) - len(closed)
            values["open_external_debt"] = float(debt)
        if REPAY_BALANCE in changes:
            balance = Decimal(str(changes[REPAY_BALANCE].after))
        verified = VERIFY_INCOME in changes or (RENEW_IDENTITY in changes and income is not None)
        if VERIFY_INCOME in changes:
            income = Decimal(str(changes[VERIFY_INCOME].after))
            values["monthly_income"] = float(income)
        if verified:
            values["identity_expired"] = False
            values["verification_status"] = "verified"
        if income:
            values["debt_to_income"] = round(float((balance + debt) / (income * 12)), 4)
        return values


def by_actions(search: _Search) -> tuple[Change, ...] | None:
    """The smallest set of actionable changes that makes today's outcome non-adverse: moves to
    better bins, a knock-out's first, then the most points regained per unit of effort; then
    every change the others make unnecessary is dropped (the costliest first)."""
    what_if = _WhatIf(search)
    changes: dict = {}
    score, fired = search.quick(search.base)
    for _ in range(MAX_STEPS):
        if not fired and score >= search.policy.keep_min_score:
            break
        best, best_key = None, None
        for change in _candidate_changes(search, what_if, changes):
            proposed = _merge(changes, change)
            new_score, new_fired = search.quick(what_if.values(proposed))
            clears = len(new_fired) < len(fired)
            gain = new_score - score
            if not clears and gain <= 0:
                continue
            effort = max(_total_effort(proposed) - _total_effort(changes), 0.01)
            passes = not new_fired and new_score >= search.policy.keep_min_score
            key = (clears, passes, gain / effort)
            if best_key is None or key > best_key:
                best, best_key = (proposed, new_score, new_fired), key
        if best is None:
            return None
        changes, score, fired = best
    if fired or score < search.policy.keep_min_score:
        return None
    for action in sorted(changes, key=lambda a: -_effort(changes[a])):
        fewer = {a: c for a, c in changes.items() if a != action}
        if fewer and search.passes(what_if.values(fewer)):
            changes = fewer
    found = _ordered(changes)
    # The engine itself must agree; a disagreement means the quick path is wrong: say nothing.
    if not search.engine_passes(
        apply_changes(search.facts, found, as_of=search.as_of), search.as_of
    ):
        return None
    return found


# --- By time alone --------------------------------------------------------------------------


def start_of_day(day: date) -> datetime:
    """The instant a day begins in the lender's time zone (when a day's replay is made)."""
    return datetime.combine(day, time.min, tzinfo=LENDER_TZ)


class _Replay:
    """The features of facts known at the decision, at a later moment: only what ages moves
    (windows of applications, loans opened and overdue records, instalments falling due and
    leaving the 12 months, months of account age and of clean repayment), the same way
    `compute_features` computes it, one group of features at a time."""

    def __init__(self, facts: LineFacts, base: dict):
        self.base = base
        self.applications: list[datetime] = []
        self.opened: list[datetime] = []
        self.overdue: list[tuple[datetime, int]] = []
        instalments: dict[date, datetime | None] = {}
        for event in sorted(facts.events, key=lambda e: e.occurred_at):
            data = event.data or {}
            if event.kind == "repayment":
                due = _parse_date(data.get("due_date"))
                if due is not None:
                    instalments[due] = _parse_datetime(data.get("paid_at"))
            elif event.kind == "external_loan_application":
                self.applications.append(event.occurred_at)
            elif event.kind == "external_loan_opened":
                self.opened.append(event.occurred_at)
            elif event.kind == "external_overdue":
                with contextlib.suppress(TypeError, ValueError):
                    self.overdue.append((event.occurred_at, int(data.get("days_past_due", 0))))
        self.instalments = [(_end_of_day(due), paid) for due, paid in instalments.items()]
        self.opened_at = _aware(facts.opened_at)

    def days(
        self, as_of: datetime, horizon_days: int, groups: frozenset = ALL_GROUPS
    ) -> list[tuple[date, set]]:
        """Every day after `as_of`'s, within the horizon, whose start may see a group of
        features different from the day before, with those groups: the first start after an
        event's age crosses its window, an instalment falls due or leaves the 12 months, or a
        month of account age or of clean repayment completes (the next day's, or the day's own
        when the instant is its very start: a window that closes on `<=` and one that opens on
        `>=` are both caught)."""
        instants: list[tuple[datetime, str]] = []
        months = horizon_days / DAYS_PER_MONTH + 2

        def monthly(since: datetime, *groups: str) -> None:
            elapsed = max((as_of - since).total_seconds() / 86400 / DAYS_PER_MONTH, 0)
            for k in range(math.floor(elapsed), math.ceil(elapsed + months) + 1):
                moment = since + timedelta(days=k * DAYS_PER_MONTH)
                instants.extend((moment, group) for group in groups)

        if APPLICATIONS in groups:
            for at in self.applications:
                instants.extend((at + w, APPLICATIONS) for w, _ in APPLICATION_WEIGHTS)
        if OPENED in groups:
            for at in self.opened:
                instants.extend((at + w, OPENED) for w, _ in APPLICATION_WEIGHTS)
        if OVERDUE in groups:
            instants.extend((at + OVERDUE_WINDOW, OVERDUE) for at, _ in self.overdue)
        # After `as_of`, clean months count from the latest of the late repayments made by
        # then (or a later one, or the opening): the months of an earlier one never show.
        latest_repaid = max(
            (paid for deadline, paid in self.instalments if _repaid_late_by(deadline, paid, as_of)),
            default=None,
        )
        for deadline, paid in self.instalments:
            if REPAYMENTS in groups:
                instants.extend(((deadline, REPAYMENTS), (deadline + REPAYMENT_WINDOW, REPAYMENTS)))
            if CLEAN in groups:
                # Clean months count from the last late instalment's repayment (or the
                # opening), and an unpaid one holds them at 0 from the day it falls due.
                instants.append((deadline, CLEAN))
                if paid is not None and paid >= deadline:
                    instants.append((paid, CLEAN))
                    if paid > as_of or paid == latest_repaid:
                        monthly(paid, CLEAN)
        monthly(self.opened_at, *(g for g in (AGE, CLEAN) if g in groups))

        first = _lender_date(as_of) + timedelta(days=1)
        last = _lender_date(as_of) + timedelta(days=horizon_days)
        # An instant marks a day in the horizon only if it falls within it or the day before:
        # the others are dropped before their (dearer) conversion to the lender's calendar,
        # with a day's margin each side so that this only ever skips work.
        earliest = start_of_day(first - timedelta(days=2))
        latest = start_of_day(last + timedelta(days=2))
        one_day = timedelta(days=1)
        by_day: dict[date, set] = {}
        for instant, group in instants:
            if instant < earliest or instant >= latest:
                continue
            day = _lender_date(instant)
            # What moves at an instant shows at the start of the next day; at the start of
            # its own day only when it is that very start (a window closing on `<=` shows the
            # day after, one opening on `>=` that day). A day's start before the instant sees
            # what the day before saw, so it is not walked.
            marked = (day, day + one_day) if instant <= start_of_day(day) else (day + one_day,)
            for d in marked:
                if first <= d <= last:
                    found = by_day.get(d)
                    if found is None:
                        by_day[d] = {group}
                    else:
                        found.add(group)
        return [(d, by_day[d]) for d in sorted(by_day)]

    def update(self, values: dict, at: datetime, groups: Iterable[str]) -> None:
        """Recompute these groups of features at `at`, in `values`."""
        for group in groups:
            getattr(self, f"_{group}")(values, at)

    def values(self, at: datetime) -> dict:
        values = dict(self.base)
        self.update(values, at, ALL_GROUPS)
        return values

    def _apps(self, values: dict, at: datetime) -> None:
        ages = [at - t for t in self.applications]
        weighted = 0.0
        for age in ages:
            for limit, weight in APPLICATION_WEIGHTS:
                if age <= limit:
                    weighted += weight
                    break
        values["applications_30d"] = sum(1 for a in ages if a <= timedelta(days=30))
        values["applications_90d"] = sum(1 for a in ages if a <= timedelta(days=90))
        values["applications_weighted"] = round(weighted, 4)

    def _opened(self, values: dict, at: datetime) -> None:
        opened = [at - t for t in self.opened]
        values["loans_opened_30d"] = sum(1 for a in opened if a <= timedelta(days=30))
        values["loans_opened_90d"] = sum(1 for a in opened if a <= timedelta(days=90))

    def _overdue(self, values: dict, at: datetime) -> None:
        days = [d for t, d in self.overdue if at - t <= OVERDUE_WINDOW]
        values["overdue_max_days_12m"] = max(days, default=0)
        values["overdue_count_12m"] = len(days)

    def _repay(self, values: dict, at: datetime) -> None:
        due_in_window = late = 0
        for deadline, paid_at in self.instalments:
            if deadline > at or at - deadline > REPAYMENT_WINDOW:
                continue
            due_in_window += 1
            late += paid_at is None or paid_at >= deadline
        values["repayments_due_12m"] = due_in_window
        values["repayments_late_12m"] = late
        values["on_time_ratio_12m"] = (
            None if due_in_window == 0 else round((due_in_window - late) / due_in_window, 4)
        )

    def _clean(self, values: dict, at: datetime) -> None:
        last_late: datetime | None = None
        for deadline, paid_at in self.instalments:
            if deadline > at:
                continue
            if paid_at is None or paid_at >= deadline:
                cleared = at if paid_at is None or paid_at > at else paid_at
                last_late = cleared if last_late is None else max(last_late, cleared)
        clean_since = max(last_late, self.opened_at) if last_late is not None else self.opened_at
        clean_days = max((at - clean_since).total_seconds() / 86400, 0)
        values["clean_repayment_months"] = math.floor(clean_days / DAYS_PER_MONTH)

    def _age(self, values: dict, at: datetime) -> None:
        age_days = max((at - self.opened_at).total_seconds() / 86400, 0)
        values["account_age_months"] = math.floor(age_days / DAYS_PER_MONTH)


def change_days(facts: LineFacts, *, as_of: datetime, horizon_days: int) -> list[date]:
    """The days on whose start the features of these facts (as known at `as_of`) may move."""
    facts = _as_it_stands(facts, as_of)
    replay = _Replay(facts, {})
    return [day for day, _ in replay.days(as_of, horizon_days)]


def first_day(search: _Search, holds, *, horizon_days: int = HORIZON_DAYS) -> date | None:
    """The first day after the decision's on whose start `holds(values, score)` is true,
    replaying the facts known at the decision (nothing new happens); None within the horizon.
    Each day recomputes only the groups of features that can have moved, and re-scores only
    the attributes that read them."""
    replay = search.replay()
    values = dict(search.base)
    scorer = search.scorer
    points = scorer.points_all(values)
    for day, groups in replay.days(search.as_of, horizon_days, search.groups):
        replay.update(values, start_of_day(day), groups)
        for group in groups:
            for index in scorer.by_feature_group.get(group, ()):
                points[index] = scorer.points(index, values)
        if holds(values, scorer.base_points + sum(points)):
            return day
    return None


def by_time(search: _Search, *, horizon_days: int = HORIZON_DAYS) -> date | None:
    if not search.may_pass_by_time():
        return None
    day = first_day(search, search.passes_with, horizon_days=horizon_days)
    if day is not None and not search.engine_passes(search.facts, start_of_day(day)):
        return None  # the quick replay and the engine disagree: promise nothing
    return day


def _improved(search: _Search, verdict: Verdict, values: dict) -> tuple[str, ...]:
    """The reasons whose attribute is in a better bin with `values`, and the knock-outs that
    no longer fire (every reason when none is)."""
    codes = [
        r.code
        for r in verdict.reasons
        if not r.knockout
        and (attribute := _attribute(search.card, r.attribute)) is not None
        and _points(attribute, values.get(r.attribute))
        > _points(attribute, search.base.get(r.attribute))
    ]
    _, fired = search.quick(values)
    for knockout in search.policy.knockouts:
        if knockout.name in verdict.knockouts and knockout.name not in fired:
            codes.append(knockout.reason_code)
    # A reason code shared by several attributes counts once.
    return tuple(dict.fromkeys(codes)) or tuple(r.code for r in verdict.reasons)


def _knockout_answer(
    search: _Search, verdict: Verdict, knockout: Knockout, horizon_days: int
) -> Counterfactual:
    """What makes a knock-out that fired stop firing: the borrower's change, or a date."""
    feature = knockout.condition.feature
    changes: tuple[Change, ...] = ()
    if feature in ACTIONABLE_FEATURES:
        what_if = _WhatIf(search)
        for change in _candidate_changes(search, what_if, {}):
            facts = apply_changes(search.facts, (change,), as_of=search.as_of)
            if not knockout.condition.holds(search.features(facts, search.as_of)):
                changes = (change,)
                break
    on = None
    if not changes and feature not in ACTIONABLE_FEATURES:
        on = first_day(
            search, lambda v, _: not knockout.condition.holds(v), horizon_days=horizon_days
        )
    return Counterfactual(
        kind=KNOCKOUT,
        reasons=(knockout.reason_code,),
        changes=changes,
        on=on,
        rule=knockout.name,
        feature=feature,
    )


def counterfactuals(
    policy: PolicyRules,
    card: ScorecardRules,
    facts: LineFacts,
    *,
    as_of: datetime,
    verdict: Verdict | None = None,
    horizon_days: int = HORIZON_DAYS,
) -> tuple[Counterfactual, ...]:
    """The counterfactuals of the engine's adverse verdict on these facts at `as_of`, or ()
    when the verdict is not adverse."""
    search = _Search(policy, card, facts, as_of, verdict.features if verdict else None)
    verdict = verdict or search.verdict(search.facts, as_of)
    if verdict.outcome == NON_ADVERSE:
        return ()
    answers: list[Counterfactual] = [
        _knockout_answer(search, verdict, knockout, horizon_days)
        for knockout in policy.knockouts
        if knockout.name in verdict.knockouts
    ]
    changes = by_actions(search)
    if changes:
        answers.append(
            Counterfactual(
                kind=ACTIONS,
                reasons=_improved(search, verdict, _WhatIf(search).values(_keyed(changes))),
                changes=changes,
                outcome=NON_ADVERSE,
                together=len(changes) > 1,
            )
        )
    else:
        answers.append(
            Counterfactual(kind=NO_ACTION, reasons=tuple(r.code for r in verdict.reasons))
        )
    day = by_time(search, horizon_days=horizon_days)
    if day is not None:
        answers.append(
            Counterfactual(
                kind=TIME,
                reasons=_improved(search, verdict, search.at(start_of_day(day))),
                outcome=NON_ADVERSE,
                on=day,
            )
        )
    return tuple(answers)


# --- Lines, times and rules to compare them on ----------------------------------------------

# A card and a policy that read every group of features time moves (windows of applications,
# loans opened, overdue records and instalments; clean months; account age), with knock-outs
# on a fact time moves and on facts the borrower can change.
WIDE_CARD = engine.parse_scorecard(
    version=1,
    base_points=400,
    attributes=[
        {
            "feature": "on_time_ratio_12m",
            "reason_code": "late",
            "bins": [
                {"missing": True, "points": 40},
                {"max": 0.9, "points": 0},
                {"min": 0.9, "points": 70},
            ],
        },
        {
            "feature": "applications_weighted",
            "reason_code": "apps",
            "bins": [{"max": 1, "points": 60}, {"min": 1, "max": 2.5, "points": 25}],
        },
        {
            "feature": "loans_opened_90d",
            "reason_code": "opened",
            "bins": [{"max": 2, "points": 40}, {"min": 2, "points": 0}],
        },
        {
            "feature": "overdue_count_12m",
            "reason_code": "overdue",
            "bins": [{"max": 1, "points": 50}, {"min": 1, "points": 0}],
        },
        {
            "feature": "clean_repayment_months",
            "reason_code": "clean",
            "bins": [
                {"max": 3, "points": 0},
                {"min": 3, "max": 9, "points": 20},
                {"min": 9, "points": 45},
            ],
        },
        {
            "feature": "account_age_months",
            "reason_code": "age",
            "bins": [{"max": 12, "points": 0}, {"min": 12, "points": 30}],
        },
        {
            "feature": "debt_to_income",
            "reason_code": "dti",
            "bins": [
                {"missing": True, "points": 0},
                {"max": 0.3, "points": 60},
                {"min": 0.3, "max": 0.6, "points": 20},
            ],
        },
        {
            "feature": "open_external_loans",
            "reason_code": "loans",
            "bins": [{"max": 2, "points": 40}, {"min": 2, "max": 4, "points": 10}],
        },
    ],
)
WIDE_POLICY = engine.parse_policy(
    version=1,
    keep_min_score=700,
    reduce_min_score=660,
    freeze_min_score=620,
    reduce_share="0.3",
    closure_buffer_days=30,
    knockouts=[
        {
            "feature": "overdue_max_days_12m",
            "op": "gte",
            "value": 60,
            "outcome": "freeze",
            "reason_code": "serious_overdue",
        },
        {
            "feature": "open_external_loans",
            "op": "gt",
            "value": 4,
            "outcome": "freeze",
            "reason_code": "loans",
        },
        {
            "feature": "identity_expired",
            "op": "eq",
            "value": True,
            "outcome": "freeze",
            "reason_code": "identity",
        },
    ],
    segments=[],
)
# For the card with gaps: a threshold it can reach, a knock-out on a window it does not read.
GAPS_POLICY = engine.parse_policy(
    version=1,
    keep_min_score=560,
    reduce_min_score=520,
    freeze_min_score=480,
    reduce_share="0.3",
    closure_buffer_days=30,
    knockouts=[
        {
            "feature": "applications_30d",
            "op": "gte",
            "value": 3,
            "outcome": "freeze",
            "reason_code": "apps",
        }
    ],
    segments=[],
)
RULES = (
    (stories.POLICY, stories.CARD),  # the rules of the first version
    (GAPS_POLICY, V1_CARD),  # a card with a gap and no bin for a missing value
    (edges.POLICY, edges.CARD),  # month counts at edges of every kind
    (WIDE_POLICY, WIDE_CARD),
)


@st.composite
def edge_lines(draw):
    """Lines of the feature-state tests: every kind of event, some dated after their day."""
    events, _ = draw(edges.histories())
    return LineFacts(
        line_id=2,
        opened_at=edges.NOW - timedelta(days=draw(st.integers(20, 1500))),
        credit_limit=Decimal("20000.00"),
        balance=Decimal(draw(st.integers(0, 20000))),
        events=tuple(EventFact(*event) for event in events),
    ), edges.NOW


def _in_the_lender_zone(event: EventFact) -> EventFact:
    """The same event told in the lender's time zone: its time, and its repayment's time
    written without an offset (read as the lender's)."""
    data = dict(event.data or {})
    paid = _parse_datetime(data.get("paid_at"))
    if paid is not None:
        data["paid_at"] = paid.astimezone(LENDER_TZ).replace(tzinfo=None).isoformat()
    return EventFact(event.kind, event.occurred_at.astimezone(LENDER_TZ), data)


@st.composite
def cases(draw):
    """A line and a moment it is decided at (some at the very start of a day)."""
    facts, now = draw(
        st.one_of(
            stories.histories().map(lambda f: (f, stories.NOW)),
            stories.late_histories().map(lambda f: (f, stories.NOW)),
            edge_lines(),
        )
    )
    if draw(st.booleans()):
        zoned = draw(
            st.lists(st.booleans(), min_size=len(facts.events), max_size=len(facts.events))
        )
        facts = LineFacts(
            line_id=facts.line_id,
            opened_at=facts.opened_at,
            credit_limit=facts.credit_limit,
            balance=facts.balance,
            events=tuple(
                _in_the_lender_zone(e) if z else e for e, z in zip(facts.events, zoned, strict=True)
            ),
        )
    later = timedelta(days=draw(st.integers(-30, 120)))
    if draw(st.booleans()):
        as_of = cf.start_of_day(_lender_date(now + later))
    else:
        as_of = now + later + timedelta(seconds=draw(st.integers(0, 86_399)))
    return facts, as_of


SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("policy", "card"), RULES)
@SETTINGS
@given(case=cases())
def test_the_counterfactuals_are_those_the_search_gave_before(policy, card, case):
    facts, as_of = case
    # As a decision asks for them (the engine's verdict and features at hand) and bare.
    verdict = decide(policy, card, compute_features(facts, as_of=as_of))
    expected = counterfactuals(policy, card, facts, as_of=as_of, verdict=verdict)
    assert cf.counterfactuals(policy, card, facts, as_of=as_of, verdict=verdict) == expected
    assert [c.as_dict() for c in cf.counterfactuals(policy, card, facts, as_of=as_of)] == [
        c.as_dict() for c in counterfactuals(policy, card, facts, as_of=as_of)
    ]


@SETTINGS
@given(
    cases(),
    st.sets(st.sampled_from(sorted(ALL_GROUPS)), min_size=1),
    st.lists(st.integers(0, 400 * 86_400), min_size=1, max_size=5),
)
def test_the_replayed_days_and_features_are_those_replayed_before(case, groups, seconds):
    facts, as_of = case
    groups = frozenset(groups)
    known = _as_it_stands(facts, as_of)
    new, old = cf._Replay(known, {}), _Replay(known, {})
    walked = list(new.days(as_of, HORIZON_DAYS, groups))
    assert walked == old.days(as_of, HORIZON_DAYS, groups)
    assert cf.change_days(facts, as_of=as_of, horizon_days=HORIZON_DAYS) == change_days(
        facts, as_of=as_of, horizon_days=HORIZON_DAYS
    )
    moments = [as_of + timedelta(seconds=s) for s in seconds]
    moments += [cf.start_of_day(day) for day, _ in walked[:10]]
    for moment in moments:
        assert new.values(moment) == old.values(moment), moment
