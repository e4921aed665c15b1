"""What would change an adverse decision, and when: exact counterfactuals (pure, no ORM).

Computed once, when an adverse decision is made, from the same facts, scorecard and policy the
engine decided with, and stored with the decision, so the explanation never changes after the
fact. Three kinds of answer:

- *by time alone* (`TIME`): the first day, within a bounded search, on which the same facts
  replayed at the start of that day (lender's time zone) give a non-adverse outcome: old
  applications age out of their 30/60/90-day windows, an overdue record out of its 12 months.
  Exact at day granularity: the facts only change at known instants (an event's age crossing a
  window, an instalment falling due, a month of account age), so only the days on which one
  of them falls are replayed, and between two such days the outcome cannot move.
- *by the borrower's own actions* (`ACTIONS`): the smallest set of changes to actionable facts
  (close loans at other platforms, repay part of the balance, verify income, renew an identity
  document) that flips the outcome today. Found by moving attributes to better bins, the move
  that regains the most points per unit of effort first (a knock-out that fires must stop
  firing first), then dropping every change the others make unnecessary. Never a change to an
  immutable fact: account age, repayment history, past overdue records, applications made,
  the credit report's score.
- *honest limits*: a knock-out says exactly what makes it stop firing (`KNOCKOUT`); when no
  actionable change is enough (`NO_ACTION`), it says so; a campaign's or a regulation's
  decision (`CAMPAIGN`, `REGULATORY`) says that nothing the borrower does changes it, and what
  does (the campaign's end date, a document).

Each counterfactual lists the reason codes it answers, so a page can show it under each reason.
`apply_changes` turns reported changes back into facts: applying them and deciding again gives
the promised outcome (the engine's tests check exactly that).
"""

from __future__ import annotations

import contextlib
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache

from .decide import Verdict, decide
from .features import (
    APPLICATION_WEIGHTS,
    DAYS_PER_MONTH,
    LENDER_TZ,
    OVERDUE_WINDOW,
    REPAYMENT_WINDOW,
    EventFact,
    LineFacts,
    _decimal,
    _end_of_day,
    _occurred_at,
    _parse_date,
    _parse_datetime,
    compute_features,
)
from .rules import Attribute, Knockout, PolicyRules, ScorecardRules

HORIZON_DAYS = 400
# The first stretch of days a search puts on the calendar (see `_Replay.days`).
FIRST_STRETCH_DAYS = 32
_DAYS_30, _DAYS_90 = timedelta(days=30), timedelta(days=90)
NON_ADVERSE = "keep"

# Kinds of counterfactual.
TIME = "time"
ACTIONS = "actions"
KNOCKOUT = "knockout"
NO_ACTION = "no_action"
CAMPAIGN = "campaign"
REGULATORY = "regulatory"

# The facts a borrower can change today, and the action that changes each.
CLOSE_LOANS = "close_external_loans"
REPAY_BALANCE = "repay_balance"
VERIFY_INCOME = "verify_income"
RENEW_IDENTITY = "renew_identity"
ACTIONS_BY_FACT = {
    "open_external_loans": CLOSE_LOANS,
    "balance": REPAY_BALANCE,
    "monthly_income": VERIFY_INCOME,
    "identity_expired": RENEW_IDENTITY,
}
# Features the borrower's actions move (through the facts above); every other feature is
# history or someone else's figure and is never the subject of a suggestion.
ACTIONABLE_FEATURES = frozenset(
    {"open_external_loans", "open_external_debt", "debt_to_income", "identity_expired"}
    | {"monthly_income", "verification_status"}
)
IMMUTABLE_FEATURES = frozenset(
    {
        "on_time_ratio_12m",
        "repayments_due_12m",
        "repayments_late_12m",
        "applications_30d",
        "applications_90d",
        "applications_weighted",
        "loans_opened_30d",
        "loans_opened_90d",
        "overdue_max_days_12m",
        "overdue_count_12m",
        "account_age_months",
        "clean_repayment_months",
        "bureau_score",
        "key_customer",
    }
)
# Effort of one unit of each action: a loan closed, ¥1,000 repaid, a document verified.
REPAY_STEP = Decimal(1000)
MAX_STEPS = 12


@dataclass(frozen=True, slots=True)
class Change:
    """One actionable fact changed: `before` -> `after` (JSON-friendly values)."""

    fact: str
    action: str
    before: object
    after: object
    # close_external_loans: the loans closed, [platform, loan_id] each (largest first).
    loans: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        data = {"fact": self.fact, "action": self.action, "from": self.before, "to": self.after}
        if self.loans:
            data["loans"] = [list(loan) for loan in self.loans]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Change:
        return cls(
            fact=data["fact"],
            action=data["action"],
            before=data.get("from"),
            after=data.get("to"),
            loans=tuple(tuple(loan) for loan in data.get("loans", ())),
        )


@dataclass(frozen=True, slots=True)
class Counterfactual:
    kind: str
    reasons: tuple[str, ...]  # the reason codes it answers (shown under each of them)
    changes: tuple[Change, ...] = ()
    outcome: str | None = None  # the outcome it leads to (None: no change leads anywhere)
    on: date | None = None  # TIME: the first day; KNOCKOUT/CAMPAIGN: the day it stops
    rule: str = ""  # KNOCKOUT: the rule's name
    feature: str = ""  # KNOCKOUT: the feature the rule looks at
    # ACTIONS: no single change is enough, only all of them together.
    together: bool = False

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "reasons": list(self.reasons),
            "changes": [c.as_dict() for c in self.changes],
            "outcome": self.outcome,
            "on": self.on.isoformat() if self.on else None,
            "rule": self.rule,
            "feature": self.feature,
            "together": self.together,
        }


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
        self._what_if: _WhatIf | None = None
        self._events: list[EventFact] | None = None
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

    def events(self) -> list[EventFact]:
        """The facts' events in time order (sorted once for the replay and the loans)."""
        if self._events is None:
            self._events = sorted(self.facts.events, key=_occurred_at)
        return self._events

    def replay(self) -> _Replay:
        if self._replay is None:
            self._replay = _Replay(self.facts, self.base, self.events())
        return self._replay

    def what_if(self) -> _WhatIf:
        # Built once: the knock-outs' answers, the actions and their reasons all read it.
        if self._what_if is None:
            self._what_if = _WhatIf(self)
        return self._what_if

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
        # The first attribute of each feature, as `_attribute` finds it.
        self.index: dict[str, int] = {}
        for i, feature in enumerate(self.features):
            self.index.setdefault(feature, i)
        # Each attribute's points by value, as found: a search scores the same few values of
        # an attribute many times over, and every line of a batch the same ones. Values
        # equal in Python are equal as floats, so they share their points.
        self.known = tuple({} for _ in self.features)

    def points(self, index: int, values: dict) -> int:
        return self.points_of(index, values.get(self.features[index]))

    def points_of(self, index: int, value) -> int:
        """The points of one value (`_points` of the attribute: the same bins, in order)."""
        known = self.known[index]
        points = known.get(value)
        if points is None:
            points = self._binned(index, value)
            if len(known) >= _KNOWN_KEPT:
                known.clear()
            known[value] = points
        return points

    def _binned(self, index: int, value) -> int:
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
        points_of = self.points_of
        return [points_of(i, values.get(f)) for i, f in enumerate(self.features)]


_KNOWN_KEPT = 1 << 12


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


# --- Applying changes to facts --------------------------------------------------------------


def apply_changes(facts: LineFacts, changes: Iterable[Change], *, as_of: datetime) -> LineFacts:
    """The facts as they would be had the borrower made these changes at `as_of`."""
    events = list(facts.events)
    balance = facts.balance
    income: Decimal | None = None
    renew = False
    for change in changes:
        if change.action == CLOSE_LOANS:
            events.extend(
                EventFact("external_loan_closed", as_of, {"platform": platform, "loan_id": loan_id})
                for platform, loan_id in change.loans
            )
        elif change.action == REPAY_BALANCE:
            balance = Decimal(str(change.after))
        elif change.action == VERIFY_INCOME:
            income = Decimal(str(change.after))
        elif change.action == RENEW_IDENTITY:
            renew = True
        else:
            raise ValueError(f"Unknown action {change.action!r}")
    if income is None and renew:
        known = compute_features(facts, as_of=as_of).monthly_income
        income = None if known is None else Decimal(str(known))
    if income is not None:
        # The lender re-verifies identity with income: one verification does both.
        events.append(EventFact("income_verified", as_of, {"monthly_income": str(income)}))
    return replace(facts, events=tuple(events), balance=balance)


def _open_loans(
    facts: LineFacts, as_of: datetime, events: Sequence[EventFact] | None = None
) -> list[tuple[Decimal, str, str]]:
    """(amount, platform, loan_id) of each loan open at other platforms, largest first
    (`events`: the facts' events already in time order)."""
    opened: dict[tuple[str, str], Decimal] = {}
    if events is None:
        events = sorted(facts.events, key=_occurred_at)
    for event in events:
        if event.occurred_at > as_of:
            continue
        data = event.data or {}
        key = (str(data.get("platform", "")), str(data.get("loan_id", "")))
        if event.kind == "external_loan_opened":
            opened[key] = _decimal(data.get("amount")) or Decimal(0)
        elif event.kind == "external_loan_closed":
            opened.pop(key, None)
    return sorted(((a, p, i) for (p, i), a in opened.items()), key=lambda x: (-x[0], x[1], x[2]))


# --- By the borrower's own actions ----------------------------------------------------------


class _WhatIf:
    """The features today had the borrower made some changes, derived from today's own."""

    def __init__(self, search: _Search):
        self.search = search
        self.loans = _open_loans(search.facts, search.as_of, search.events())
        self.debt = sum((a for a, _, _ in self.loans), Decimal(0))
        income = search.base["monthly_income"]
        self.income = None if income is None else Decimal(str(income))
        # `values` changes only actionable features: the points of every other attribute
        # are today's, summed once.
        scorer = search.scorer
        self.scored = tuple(
            i for i, feature in enumerate(scorer.features) if feature in ACTIONABLE_FEATURES
        )
        self.fixed_points = scorer.base_points + sum(
            scorer.points(i, search.base)
            for i, feature in enumerate(scorer.features)
            if feature not in ACTIONABLE_FEATURES
        )

    def quick(self, values: dict) -> tuple[int, tuple[str, ...]]:
        """`_Search.quick` of what `values` returns."""
        scorer = self.search.scorer
        features = scorer.features
        total = self.fixed_points + sum(
            scorer.points_of(i, values.get(features[i])) for i in self.scored
        )
        fired = tuple(k.name for k in self.search.policy.knockouts if k.condition.holds(values))
        return total, fired

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


def _effort(change: Change) -> float:
    if change.action == CLOSE_LOANS:
        return float(len(change.loans))
    if change.action == REPAY_BALANCE:
        repaid = Decimal(str(change.before)) - Decimal(str(change.after))
        return float(max(repaid / REPAY_STEP, Decimal("0.1")))
    return 1.0


def _total_effort(changes: dict) -> float:
    return sum(_effort(c) for c in changes.values())


def _attribute(card: ScorecardRules, feature: str) -> Attribute | None:
    return next((a for a in card.attributes if a.feature == feature), None)


def _integer_target(bin_min, bin_max, current: int) -> int | None:
    """The largest whole value below `current` inside [bin_min, bin_max), or None."""
    top = current - 1 if bin_max is None else min(current - 1, math.ceil(bin_max) - 1)
    if bin_min is not None and top < bin_min:
        return None
    return top if top >= 0 else None


def _points(attribute: Attribute, value) -> int:
    matched = next((b for b in attribute.bins if b.matches(value)), None)
    return matched.points if matched else min(b.points for b in attribute.bins)


def _loan_targets(search: _Search, values: dict) -> set[int]:
    current = values["open_external_loans"]
    targets: set[int] = set()
    attribute = _attribute(search.card, "open_external_loans")
    if attribute is not None:
        points = _points(attribute, current)
        for b in attribute.bins:
            if b.missing or b.points <= points:
                continue
            target = _integer_target(b.min, b.max, current)
            if target is not None:
                targets.add(target)
    for knockout in search.policy.knockouts:
        condition = knockout.condition
        if condition.feature == "open_external_loans" and condition.holds(values):
            if condition.op == "gte":
                targets.add(math.ceil(condition.value) - 1)
            elif condition.op == "gt":
                targets.add(math.floor(condition.value))
    return {t for t in targets if 0 <= t < current}


def _candidate_changes(search: _Search, what_if: _WhatIf, changes: dict) -> list[Change]:
    """Changes that each move one actionable attribute (or rule) a step further than `changes`
    already do: every better bin, each reached with the least change of its fact."""
    values = what_if.values(changes)
    candidates: list[Change] = []

    # Close loans at other platforms, the largest first (the most debt off for each loan).
    total = len(what_if.loans)
    for target in sorted(_loan_targets(search, values), reverse=True):
        loans = tuple((p, i) for _, p, i in what_if.loans[: total - target])
        candidates.append(Change("open_external_loans", CLOSE_LOANS, total, target, loans))

    dti = _attribute(search.card, "debt_to_income")
    if dti is not None:
        current = _points(dti, values["debt_to_income"])
        better = [b for b in dti.bins if not b.missing and b.points > current and b.max]
        debt = Decimal(str(values["open_external_debt"]))
        balance = search.facts.balance
        if REPAY_BALANCE in changes:
            balance = Decimal(str(changes[REPAY_BALANCE].after))
        income = values["monthly_income"]
        if income is not None:
            # Repay part of the balance with us until the debt falls into the better bin.
            income = Decimal(str(income))
            for b in better:
                room = Decimal(str(b.max)) * 12 * income - debt
                if room <= 0:
                    continue
                new_balance = (room - Decimal("0.01")).to_integral_value(rounding=ROUND_FLOOR)
                new_balance = _fit(what_if, changes, b, new_balance)
                if new_balance is not None and new_balance < balance:
                    candidates.append(
                        Change(
                            "balance", REPAY_BALANCE, str(search.facts.balance), str(new_balance)
                        )
                    )
        else:
            # Verify an income: the least monthly income that puts the ratio in the bin.
            owed = balance + debt
            for b in better:
                needed = (owed / (Decimal(str(b.max)) * 12)).to_integral_value(
                    rounding=ROUND_CEILING
                ) + Decimal(1)
                candidates.append(Change("monthly_income", VERIFY_INCOME, None, str(needed)))

    if values["identity_expired"]:
        if values["monthly_income"] is not None:
            candidates.append(Change("identity_expired", RENEW_IDENTITY, True, False))
        elif dti is None:
            candidates.append(Change("monthly_income", VERIFY_INCOME, None, "1"))
    return candidates


def _fit(what_if: _WhatIf, changes: dict, target_bin, balance: Decimal) -> Decimal | None:
    """Step the balance down a yuan at a time (a few at most) until the ratio is in the bin."""
    for _ in range(5):
        if balance < 0:
            return None
        trial = _merge(changes, Change("balance", REPAY_BALANCE, "0", str(balance)))
        if target_bin.matches(what_if.values(trial)["debt_to_income"]):
            return balance
        balance -= 1
    return None


def _merge(changes: dict, change: Change) -> dict:
    merged = dict(changes)
    merged[change.action] = change
    return merged


def _ordered(changes: dict) -> tuple[Change, ...]:
    order = list(ACTIONS_BY_FACT.values())
    return tuple(changes[a] for a in sorted(changes, key=order.index))


def by_actions(search: _Search) -> tuple[Change, ...] | None:
    """The smallest set of actionable changes that makes today's outcome non-adverse: moves to
    better bins, a knock-out's first, then the most points regained per unit of effort; then
    every change the others make unnecessary is dropped (the costliest first)."""
    what_if = search.what_if()
    changes: dict = {}
    score, fired = search.quick(search.base)
    for _ in range(MAX_STEPS):
        if not fired and score >= search.policy.keep_min_score:
            break
        best, best_key = None, None
        for change in _candidate_changes(search, what_if, changes):
            proposed = _merge(changes, change)
            new_score, new_fired = what_if.quick(what_if.values(proposed))
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
    # A date's is kept (every line replays days of the same few months); a datetime passed
    # as a day is not: equal instants in two zones hash alike but fall on different dates.
    if type(day) is date:
        return _start_of_date(day)
    return datetime.combine(day, time.min, tzinfo=LENDER_TZ)


@lru_cache(maxsize=1 << 12)
def _start_of_date(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LENDER_TZ)


@lru_cache(maxsize=1 << 10)
def _months(count: int) -> timedelta:
    """`count` months of `DAYS_PER_MONTH` days, as `compute_features` counts them."""
    return timedelta(days=count * DAYS_PER_MONTH)


def _lender_date(moment: datetime) -> date:
    return moment.astimezone(LENDER_TZ).date()


def _repaid_late_by(deadline: datetime, paid: datetime | None, moment: datetime) -> bool:
    return paid is not None and deadline <= paid <= moment


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _as_it_stands(facts: LineFacts, as_of: datetime) -> LineFacts:
    """Nothing new happens: only the facts known at `as_of` are replayed."""
    return replace(facts, events=tuple(e for e in facts.events if e.occurred_at <= as_of))


# The features that move with time alone, in groups that move together.
APPLICATIONS, OPENED, OVERDUE, REPAYMENTS, CLEAN, AGE = (
    "apps",
    "opened",
    "overdue",
    "repay",
    "clean",
    "age",
)
GROUP_FEATURES = {
    APPLICATIONS: ("applications_30d", "applications_90d", "applications_weighted"),
    OPENED: ("loans_opened_30d", "loans_opened_90d"),
    OVERDUE: ("overdue_max_days_12m", "overdue_count_12m"),
    REPAYMENTS: ("repayments_due_12m", "repayments_late_12m", "on_time_ratio_12m"),
    CLEAN: ("clean_repayment_months",),
    AGE: ("account_age_months",),
}
ALL_GROUPS = frozenset(GROUP_FEATURES)
_APPS_MOVED, _OPENED_MOVED, _OVERDUE_MOVED = (APPLICATIONS,), (OPENED,), (OVERDUE,)
_REPAY_MOVED, _CLEAN_MOVED = (REPAYMENTS,), (CLEAN,)
TIMED_FEATURES = frozenset(f for features in GROUP_FEATURES.values() for f in features)


class _Replay:
    """The features of facts known at the decision, at a later moment: only what ages moves
    (windows of applications, loans opened and overdue records, instalments falling due and
    leaving the 12 months, months of account age and of clean repayment), the same way
    `compute_features` computes it, one group of features at a time."""

    def __init__(self, facts: LineFacts, base: dict, events: Sequence[EventFact] | None = None):
        """`events`: the facts' events already in time order, when the caller has them."""
        self.base = base
        self.applications: list[datetime] = []
        self.opened: list[datetime] = []
        self.overdue: list[tuple[datetime, int]] = []
        instalments: dict[date, datetime | None] = {}
        for event in sorted(facts.events, key=_occurred_at) if events is None else events:
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
        # The same instants sorted (the events already are), so that a window's count at a
        # moment is two bisections, not a pass over every event: deadlines of every
        # instalment and of the late ones; overdue records' days, the largest from each on.
        self.deadlines = sorted(deadline for deadline, _ in self.instalments)
        self.late_deadlines = sorted(
            deadline for deadline, paid in self.instalments if paid is None or paid >= deadline
        )
        self.overdue_at = [at for at, _ in self.overdue]
        self.overdue_max: list[int | None] = [None] * (len(self.overdue) + 1)
        for i in range(len(self.overdue) - 1, -1, -1):
            later = self.overdue_max[i + 1]
            days = self.overdue[i][1]
            self.overdue_max[i] = days if later is None else max(days, later)

    def days(
        self, as_of: datetime, horizon_days: int, groups: frozenset = ALL_GROUPS
    ) -> Iterator[tuple[date, set]]:
        """Every day after `as_of`'s, within the horizon, whose start may see a group of
        features different from the day before, with those groups: the first start after an
        event's age crosses its window, an instalment falls due or leaves the 12 months, or a
        month of account age or of clean repayment completes (the next day's, or the day's own
        when the instant is its very start: a window that closes on `<=` and one that opens on
        `>=` are both caught).

        In order, a stretch of days at a time (the first short, each next twice as long): a
        search stops at the first day that passes, most often within weeks, and only the
        instants of the stretches walked are put on the lender's calendar."""
        instants = self._instants(as_of, horizon_days, groups)
        first = _lender_date(as_of) + timedelta(days=1)
        last = _lender_date(as_of) + timedelta(days=horizon_days)
        span = FIRST_STRETCH_DAYS
        while first <= last:
            end = min(first + timedelta(days=span - 1), last)
            yield from _marked(instants, first, end)
            first = end + timedelta(days=1)
            span *= 2

    def _instants(
        self, as_of: datetime, horizon_days: int, groups: frozenset
    ) -> list[tuple[datetime, tuple[str, ...]]]:
        """Every instant at which a group of features may move, with those groups."""
        # Each instant with the groups it may move (a month of account age is one of clean
        # repayment too: converted once for both).
        instants: list[tuple[datetime, tuple[str, ...]]] = []
        months = horizon_days / DAYS_PER_MONTH + 2

        def monthly(since: datetime, moved: tuple[str, ...]) -> None:
            elapsed = max((as_of - since).total_seconds() / 86400 / DAYS_PER_MONTH, 0)
            for k in range(math.floor(elapsed), math.ceil(elapsed + months) + 1):
                instants.append((since + _months(k), moved))

        if APPLICATIONS in groups:
            for at in self.applications:
                instants.extend((at + w, _APPS_MOVED) for w, _ in APPLICATION_WEIGHTS)
        if OPENED in groups:
            for at in self.opened:
                instants.extend((at + w, _OPENED_MOVED) for w, _ in APPLICATION_WEIGHTS)
        if OVERDUE in groups:
            instants.extend((at + OVERDUE_WINDOW, _OVERDUE_MOVED) for at, _ in self.overdue)
        # After `as_of`, clean months count from the latest of the late repayments made by
        # then (or a later one, or the opening): the months of an earlier one never show.
        latest_repaid = max(
            (paid for deadline, paid in self.instalments if _repaid_late_by(deadline, paid, as_of)),
            default=None,
        )
        for deadline, paid in self.instalments:
            if REPAYMENTS in groups:
                instants.append((deadline, _REPAY_MOVED))
                instants.append((deadline + REPAYMENT_WINDOW, _REPAY_MOVED))
            if CLEAN in groups:
                # Clean months count from the last late instalment's repayment (or the
                # opening), and an unpaid one holds them at 0 from the day it falls due.
                instants.append((deadline, _CLEAN_MOVED))
                if paid is not None and paid >= deadline:
                    instants.append((paid, _CLEAN_MOVED))
                    if paid > as_of or paid == latest_repaid:
                        monthly(paid, _CLEAN_MOVED)
        aged = tuple(g for g in (AGE, CLEAN) if g in groups)
        if aged:
            monthly(self.opened_at, aged)

        return instants

    def update(self, values: dict, at: datetime, groups: Iterable[str]) -> None:
        """Recompute these groups of features at `at`, in `values`."""
        for group in groups:
            self._updaters[group](self, values, at)

    def values(self, at: datetime) -> dict:
        values = dict(self.base)
        self.update(values, at, ALL_GROUPS)
        return values

    # Each window below is a count of the sorted instants at or after `at` less its length
    # (`at - t <= limit`), taken in UTC: the lender's zone keeps one offset all year, so
    # an age is the same in either.

    def _apps(self, values: dict, at: datetime) -> None:
        at = at.astimezone(UTC)
        applications = self.applications
        total = len(applications)
        # An application weighs as the first (narrowest) window it is in. Added oldest first,
        # as the events are summed, each weight once per application of its band: the same
        # float.
        within = [total - bisect_left(applications, at - limit) for limit, _ in APPLICATION_WEIGHTS]
        weighted = 0.0
        for band in range(len(APPLICATION_WEIGHTS) - 1, -1, -1):
            weight = APPLICATION_WEIGHTS[band][1]
            for _ in range(within[band] - (within[band - 1] if band else 0)):
                weighted += weight
        values["applications_30d"] = total - bisect_left(applications, at - _DAYS_30)
        values["applications_90d"] = total - bisect_left(applications, at - _DAYS_90)
        values["applications_weighted"] = round(weighted, 4)

    def _opened(self, values: dict, at: datetime) -> None:
        at = at.astimezone(UTC)
        opened = self.opened
        values["loans_opened_30d"] = len(opened) - bisect_left(opened, at - _DAYS_30)
        values["loans_opened_90d"] = len(opened) - bisect_left(opened, at - _DAYS_90)

    def _overdue(self, values: dict, at: datetime) -> None:
        first = bisect_left(self.overdue_at, at.astimezone(UTC) - OVERDUE_WINDOW)
        most = self.overdue_max[first]
        values["overdue_max_days_12m"] = 0 if most is None else most
        values["overdue_count_12m"] = len(self.overdue) - first

    def _repay(self, values: dict, at: datetime) -> None:
        at = at.astimezone(UTC)
        since = at - REPAYMENT_WINDOW
        due_in_window = bisect_right(self.deadlines, at) - bisect_left(self.deadlines, since)
        late = bisect_right(self.late_deadlines, at) - bisect_left(self.late_deadlines, since)
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

    # Each group's method, looked up once (a day's replay calls a few of them).
    _updaters = {
        APPLICATIONS: _apps,
        OPENED: _opened,
        OVERDUE: _overdue,
        REPAYMENTS: _repay,
        CLEAN: _clean,
        AGE: _age,
    }


def _marked(
    instants: Sequence[tuple[datetime, tuple[str, ...]]], first: date, last: date
) -> list[tuple[date, set]]:
    """The days from `first` to `last` whose start may see these instants' groups move, in
    order, with those groups."""
    # An instant marks a day in the stretch only if it falls within it or the day before:
    # the others are dropped before their (dearer) conversion to the lender's calendar,
    # with a day's margin each side so that this only ever skips work. In UTC, the zone of
    # nearly every instant: compared field by field, not through the lender's offset.
    earliest = start_of_day(first - timedelta(days=2)).astimezone(UTC)
    latest = start_of_day(last + timedelta(days=2)).astimezone(UTC)
    one_day = timedelta(days=1)
    by_day: dict[date, set] = {}
    for instant, moved in instants:
        if instant < earliest or instant >= latest:
            continue
        day = instant.astimezone(LENDER_TZ).date()  # `_lender_date`, inlined
        # What moves at an instant shows at the start of the next day; at the start of its
        # own day only when it is that very start (a window closing on `<=` shows the day
        # after, one opening on `>=` that day). A day's start before the instant sees what
        # the day before saw, so it is not walked.
        if instant <= start_of_day(day) and first <= day <= last:
            found = by_day.get(day)
            if found is None:
                by_day[day] = set(moved)
            else:
                found.update(moved)
        day += one_day
        if first <= day <= last:
            found = by_day.get(day)
            if found is None:
                by_day[day] = set(moved)
            else:
                found.update(moved)
    return [(d, by_day[d]) for d in sorted(by_day)]


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
    found = _first(search, holds, horizon_days)
    return None if found is None else found[0]


def _first(search: _Search, holds, horizon_days: int) -> tuple[date, dict] | None:
    """`first_day`, with the values replayed on its start: every feature the scorecard or a
    knock-out reads is as `_Replay.values` gives it that day (the others stay the
    decision's)."""
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
            return day, values
    return None


def by_time(search: _Search, *, horizon_days: int = HORIZON_DAYS) -> date | None:
    found = _by_time(search, horizon_days)
    return None if found is None else found[0]


def _by_time(search: _Search, horizon_days: int) -> tuple[date, dict] | None:
    """`by_time`, with the values replayed on the day (the reasons it answers read them)."""
    if not search.may_pass_by_time():
        return None
    found = _first(search, search.passes_with, horizon_days)
    if found is not None and not search.engine_passes(search.facts, start_of_day(found[0])):
        return None  # the quick replay and the engine disagree: promise nothing
    return found


# --- Putting it together --------------------------------------------------------------------


def _improved(search: _Search, verdict: Verdict, values: dict) -> tuple[str, ...]:
    """The reasons whose attribute is in a better bin with `values`, and the knock-outs that
    no longer fire (every reason when none is)."""
    scorer = search.scorer
    codes = [
        r.code
        for r in verdict.reasons
        if not r.knockout
        and (index := scorer.index.get(r.attribute)) is not None
        and scorer.points_of(index, values.get(r.attribute))
        > scorer.points_of(index, search.base.get(r.attribute))
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
        what_if = search.what_if()
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
                reasons=_improved(search, verdict, search.what_if().values(_keyed(changes))),
                changes=changes,
                outcome=NON_ADVERSE,
                together=len(changes) > 1,
            )
        )
    else:
        answers.append(
            Counterfactual(kind=NO_ACTION, reasons=tuple(r.code for r in verdict.reasons))
        )
    found = _by_time(search, horizon_days)
    if found is not None:
        day, values = found
        answers.append(
            Counterfactual(
                kind=TIME,
                reasons=_improved(search, verdict, values),
                outcome=NON_ADVERSE,
                on=day,
            )
        )
    return tuple(answers)


def _keyed(changes: Iterable[Change]) -> dict:
    return {c.action: c for c in changes}


def campaign_counterfactual(reason_codes: Sequence[str], ends_on: date | None) -> Counterfactual:
    """A policy campaign decided: nothing the borrower does changes it; its end date does."""
    return Counterfactual(kind=CAMPAIGN, reasons=tuple(reason_codes), on=ends_on)


def regulatory_counterfactual(reason_codes: Sequence[str]) -> Counterfactual:
    """A regulation decided (a person applied it): no action of the borrower's changes it."""
    return Counterfactual(kind=REGULATORY, reasons=tuple(reason_codes))


def time_alone_date(items: Iterable[dict]) -> date | None:
    """The "by time alone" day among stored counterfactuals (their JSON form), if any."""
    for item in items or ():
        if item.get("kind") == TIME and item.get("on"):
            return date.fromisoformat(item["on"])
    return None
