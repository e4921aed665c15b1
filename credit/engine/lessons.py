"""What appeals teach the scorecard: overturns per reason and per scorecard bin, and a proposed
draft that moves the bins and thresholds people overturn most often. Pure: no ORM.

A case is one appealed engine decision, decided by a person: overturned (approved, in full or
in part) or upheld (denied). Its features are the ones stored on the decision; they are put in
the bins of the scorecard being improved (not necessarily the one that decided), so every
count and every move speaks of the same bins.

The proposal is a draft only: nothing here, nor in the service that saves it, activates it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .decide import score
from .rules import Attribute, Bin, PolicyRules, ScorecardRules

THRESHOLDS = ("keep_min_score", "reduce_min_score", "freeze_min_score")


@dataclass(frozen=True, slots=True)
class AppealedCase:
    overturned: bool
    features: Mapping
    reason_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tally:
    overturned: int = 0
    upheld: int = 0

    @property
    def decided(self) -> int:
        return self.overturned + self.upheld

    @property
    def overturn_share(self) -> float:
        return self.overturned / self.decided if self.decided else 0.0

    def add(self, overturned: bool) -> Tally:
        return Tally(self.overturned + overturned, self.upheld + (not overturned))


@dataclass(frozen=True, slots=True)
class BinTally:
    feature: str
    attribute_label: str
    bin_label: str
    points: int
    max_points: int
    tally: Tally
    # The features of the overturned cases that fell in this bin (what the page lists).
    overturned_values: tuple = ()

    @property
    def points_lost(self) -> int:
        return self.max_points - self.points


@dataclass(frozen=True, slots=True)
class Move:
    kind: str  # "bin" | "threshold"
    name: str  # the feature, or the threshold's field
    label: str  # the bin's label, or the threshold's field
    old: int
    new: int
    tally: Tally


@dataclass(frozen=True, slots=True)
class Proposal:
    attributes: list  # the scorecard's attributes JSON, with the moved bins' points
    thresholds: dict  # keep_min_score / reduce_min_score / freeze_min_score
    moves: tuple[Move, ...] = ()
    bins: tuple[BinTally, ...] = field(default=())

    @property
    def moves_bins(self) -> bool:
        return any(m.kind == "bin" for m in self.moves)

    @property
    def moves_thresholds(self) -> bool:
        return any(m.kind == "threshold" for m in self.moves)


def bin_for(attribute: Attribute, value) -> Bin:
    """The bin a value falls in, as `score` puts it (no bin: the attribute's worst)."""
    matched = next((b for b in attribute.bins if b.matches(value)), None)
    return matched or min(attribute.bins, key=lambda b: b.points)


def overturns_by_reason(cases: Iterable[AppealedCase]) -> dict[str, Tally]:
    """Overturned and upheld appeals per reason code of the decision appealed, most overturned
    first (a case counts once under each of its reasons)."""
    tallies: dict[str, Tally] = {}
    for case in cases:
        for code in dict.fromkeys(case.reason_codes):
            tallies[code] = tallies.get(code, Tally()).add(case.overturned)
    return dict(sorted(tallies.items(), key=lambda kv: (-kv[1].overturned, -kv[1].decided, kv[0])))


def overturns_by_bin(card: ScorecardRules, cases: Sequence[AppealedCase]) -> tuple[BinTally, ...]:
    """Overturned and upheld appeals per bin of `card` (every bin, in the card's order)."""
    counts: dict[tuple[str, str], Tally] = {}
    values: dict[tuple[str, str], list] = {}
    for case in cases:
        for attribute in card.attributes:
            value = case.features.get(attribute.feature)
            key = (attribute.feature, bin_for(attribute, value).label)
            counts[key] = counts.get(key, Tally()).add(case.overturned)
            if case.overturned:
                values.setdefault(key, []).append(value)
    return tuple(
        BinTally(
            feature=attribute.feature,
            attribute_label=attribute.label,
            bin_label=b.label,
            points=b.points,
            max_points=attribute.max_points,
            tally=counts.get((attribute.feature, b.label), Tally()),
            overturned_values=tuple(values.get((attribute.feature, b.label), ())),
        )
        for attribute in card.attributes
        for b in attribute.bins
    )


def _lenient_points(points: int, max_points: int) -> int:
    """Half the points the bin costs are given back, rounded up (never above the maximum)."""
    return min(max_points, points + math.ceil((max_points - points) / 2))


def propose(
    *,
    card: ScorecardRules,
    attributes_json: Sequence[Mapping],
    policy: PolicyRules,
    cases: Sequence[AppealedCase],
    min_cases: int = 3,
    min_share: float = 0.5,
    max_bin_moves: int = 3,
    threshold_margin: int = 15,
) -> Proposal:
    """A draft scorecard/policy that is more lenient where people overturn the engine most.

    Bins: a bin that costs points, in which at least `min_cases` appealed decisions were
    overturned and people overturned at least `min_share` of those they decided, gives back
    half the points it costs; at most `max_bin_moves` bins, most overturned first (then the
    higher share, then the card's order).
    Thresholds: a threshold with at least `min_cases` overturned decisions scoring less than
    `threshold_margin` points below it (no knock-out fired), overturned in at least
    `min_share` of such cases, is lowered by `threshold_margin`, never below the next one
    (keep ≥ reduce ≥ pause stays true).
    Cases whose knock-out fired teach no bin or threshold: no score made them adverse.
    """
    scored = [
        case
        for case in cases
        if not any(k.condition.holds(case.features) for k in policy.knockouts)
    ]
    bins = overturns_by_bin(card, scored)
    candidates = [
        (index, tally)
        for index, tally in enumerate(bins)
        if tally.points_lost > 0
        and tally.tally.overturned >= min_cases
        and tally.tally.overturn_share >= min_share
    ]
    candidates.sort(key=lambda it: (-it[1].tally.overturned, -it[1].tally.overturn_share, it[0]))
    new_attributes = copy.deepcopy([dict(a) for a in attributes_json])
    moves: list[Move] = []
    for _, tally in candidates[:max_bin_moves]:
        new_points = _lenient_points(tally.points, tally.max_points)
        attribute = next(a for a in new_attributes if a.get("feature") == tally.feature)
        for raw_bin in attribute["bins"]:
            if str(raw_bin.get("label") or "") == tally.bin_label:
                raw_bin["points"] = new_points
        moves.append(
            Move("bin", tally.feature, tally.bin_label, tally.points, new_points, tally.tally)
        )

    thresholds = {name: getattr(policy, name) for name in THRESHOLDS}
    scores = [(case, score(card, case.features).score) for case in scored]
    new_thresholds = dict(thresholds)
    for position, name in enumerate(THRESHOLDS):
        threshold = thresholds[name]
        near = Tally()
        for case, value in scores:
            if threshold - threshold_margin <= value < threshold:
                near = near.add(case.overturned)
        if near.overturned < min_cases or near.overturn_share < min_share:
            continue
        floor = thresholds[THRESHOLDS[position + 1]] if position + 1 < len(THRESHOLDS) else None
        lowered = threshold - threshold_margin
        if floor is not None:
            lowered = max(lowered, floor)
        if lowered < threshold:
            new_thresholds[name] = lowered
            moves.append(Move("threshold", name, name, threshold, lowered, near))
    return Proposal(
        attributes=new_attributes, thresholds=new_thresholds, moves=tuple(moves), bins=bins
    )
