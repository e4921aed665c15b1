"""Scorecard and decision policy as plain data, parsed and validated from their JSON form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .features import feature_names

OPERATORS = {
    "gte": lambda value, ref: value is not None and value >= ref,
    "gt": lambda value, ref: value is not None and value > ref,
    "lte": lambda value, ref: value is not None and value <= ref,
    "lt": lambda value, ref: value is not None and value < ref,
    "eq": lambda value, ref: value == ref,
    "ne": lambda value, ref: value != ref,
}
ENGINE_OUTCOMES = ("keep", "reduce_limit", "freeze", "close")
SEVERITY = {outcome: rank for rank, outcome in enumerate(ENGINE_OUTCOMES)}


class RulesError(ValueError):
    """The JSON of a scorecard or policy version is not usable; the message says where."""


@dataclass(frozen=True, slots=True)
class Bin:
    label: str
    points: int
    min: float | None = None  # inclusive
    max: float | None = None  # exclusive
    missing: bool = False  # matches when the feature has no value
    reason_code: str | None = None  # overrides the attribute's reason for this bin

    def matches(self, value) -> bool:
        if value is None:
            return self.missing
        if self.missing:
            return False
        value = float(value)
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)


@dataclass(frozen=True, slots=True)
class Attribute:
    feature: str
    label: str
    reason_code: str
    bins: tuple[Bin, ...]

    @property
    def max_points(self) -> int:
        return max(b.points for b in self.bins)


@dataclass(frozen=True, slots=True)
class ScorecardRules:
    version: int
    base_points: int
    attributes: tuple[Attribute, ...]

    def reason_codes(self) -> set[str]:
        codes = {a.reason_code for a in self.attributes}
        codes |= {b.reason_code for a in self.attributes for b in a.bins if b.reason_code}
        return codes


@dataclass(frozen=True, slots=True)
class Condition:
    feature: str
    op: str
    value: object

    def holds(self, features: Mapping) -> bool:
        return OPERATORS[self.op](features.get(self.feature), self.value)


@dataclass(frozen=True, slots=True)
class Knockout:
    name: str
    condition: Condition
    outcome: str  # "freeze" or "close"
    reason_code: str


@dataclass(frozen=True, slots=True)
class Segment:
    """A named group of borrowers (every condition holds) the policy treats differently.

    A borrower is in the first segment of the policy whose conditions all hold, or in none.
    What the segment changes, each optional: a scored closure becomes `close_becomes` (a
    knock-out is never softened), and a reduction so made removes `reduce_share`; a closure gets
    `closure_buffer_days` of notice (never fewer than the policy's); with `review`, a closure
    or pause is staged for a staff review before it takes effect or is told.
    """

    name: str
    conditions: tuple[Condition, ...]
    close_becomes: str | None = None  # an outcome less severe than "close"
    reduce_share: Decimal | None = None
    closure_buffer_days: int | None = None
    review: bool = False

    def matches(self, features: Mapping) -> bool:
        return all(c.holds(features) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class PolicyRules:
    version: int
    keep_min_score: int
    reduce_min_score: int
    freeze_min_score: int
    reduce_share: Decimal
    closure_buffer_days: int
    knockouts: tuple[Knockout, ...] = ()
    segments: tuple[Segment, ...] = ()

    def reason_codes(self) -> set[str]:
        return {k.reason_code for k in self.knockouts}

    def segment_for(self, features: Mapping) -> Segment | None:
        """The first segment whose conditions all hold, in the policy's order."""
        return next((seg for seg in self.segments if seg.matches(features)), None)

    def segment_names(self) -> tuple[str, ...]:
        return tuple(seg.name for seg in self.segments)


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise RulesError(message)


def _number(value, where: str) -> float | None:
    if value is None:
        return None
    _require(
        isinstance(value, int | float) and not isinstance(value, bool), f"{where} must be a number"
    )
    return float(value)


def _condition(raw, where: str) -> Condition:
    _require(isinstance(raw, Mapping), f"{where} must be an object")
    feature = raw.get("feature")
    _require(feature in feature_names(), f"{where}: unknown feature {feature!r}")
    _require(raw.get("op") in OPERATORS, f"{where}: op must be one of {sorted(OPERATORS)}")
    _require("value" in raw, f"{where}: a value is required")
    return Condition(feature=feature, op=raw["op"], value=raw["value"])


def parse_scorecard(*, version: int, base_points: int, attributes) -> ScorecardRules:
    _require(isinstance(attributes, list) and attributes, "attributes must be a non-empty list")
    parsed = []
    seen = set()
    for i, raw in enumerate(attributes, start=1):
        where = f"attribute {i}"
        _require(isinstance(raw, Mapping), f"{where} must be an object")
        feature = raw.get("feature")
        _require(feature in feature_names(), f"{where}: unknown feature {feature!r}")
        _require(feature not in seen, f"{where}: feature {feature!r} is scored twice")
        seen.add(feature)
        _require(bool(raw.get("reason_code")), f"{where}: a reason_code is required")
        bins_raw = raw.get("bins")
        _require(isinstance(bins_raw, list) and bins_raw, f"{where}: bins must be a non-empty list")
        bins = []
        for j, b in enumerate(bins_raw, start=1):
            bwhere = f"{where} ({feature}), bin {j}"
            _require(isinstance(b, Mapping), f"{bwhere} must be an object")
            points = b.get("points")
            _require(
                isinstance(points, int) and not isinstance(points, bool),
                f"{bwhere}: points must be a whole number",
            )
            low, high = (
                _number(b.get("min"), f"{bwhere}: min"),
                _number(b.get("max"), f"{bwhere}: max"),
            )
            missing = bool(b.get("missing", False))
            _require(
                not (missing and (low is not None or high is not None)),
                f"{bwhere}: a 'missing' bin has no min or max",
            )
            _require(low is None or high is None or low < high, f"{bwhere}: min must be below max")
            bins.append(
                Bin(
                    label=str(b.get("label") or ""),
                    points=points,
                    min=low,
                    max=high,
                    missing=missing,
                    reason_code=b.get("reason_code") or None,
                )
            )
        _check_bins_do_not_overlap(bins, where)
        parsed.append(
            Attribute(
                feature=feature,
                label=str(raw.get("label") or feature),
                reason_code=raw["reason_code"],
                bins=tuple(bins),
            )
        )
    _require(isinstance(base_points, int), "base points must be a whole number")
    return ScorecardRules(version=version, base_points=base_points, attributes=tuple(parsed))


def _check_bins_do_not_overlap(bins: list[Bin], where: str) -> None:
    _require(sum(b.missing for b in bins) <= 1, f"{where}: at most one 'missing' bin")
    ranges = sorted(
        (
            (
                b.min if b.min is not None else float("-inf"),
                b.max if b.max is not None else float("inf"),
            )
        )
        for b in bins
        if not b.missing
    )
    for (_, high), (low, _) in zip(ranges, ranges[1:], strict=False):
        _require(high <= low, f"{where}: bins overlap")


def parse_policy(
    *,
    version: int,
    keep_min_score: int,
    reduce_min_score: int,
    freeze_min_score: int,
    reduce_share,
    closure_buffer_days: int,
    knockouts,
    segments,
) -> PolicyRules:
    _require(
        keep_min_score >= reduce_min_score >= freeze_min_score,
        "thresholds must be ordered: keep ≥ reduce ≥ pause",
    )
    try:
        share = Decimal(str(reduce_share))
    except InvalidOperation as exc:
        raise RulesError("the reduction share must be a number") from exc
    _require(Decimal("0") < share < Decimal("1"), "the reduction share must be between 0 and 1")
    _require(closure_buffer_days >= 0, "the notice period cannot be negative")
    _require(isinstance(knockouts, list), "knock-out rules must be a list")
    _require(isinstance(segments, list), "segment rules must be a list")
    kos = []
    for i, raw in enumerate(knockouts, start=1):
        where = f"knock-out rule {i}"
        _require(isinstance(raw, Mapping), f"{where} must be an object")
        _require(
            raw.get("outcome") in ("freeze", "close"), f"{where}: outcome must be freeze or close"
        )
        _require(bool(raw.get("reason_code")), f"{where}: a reason_code is required")
        kos.append(
            Knockout(
                name=str(raw.get("name") or f"knockout_{i}"),
                condition=_condition(raw, where),
                outcome=raw["outcome"],
                reason_code=raw["reason_code"],
            )
        )
    segs = []
    for i, raw in enumerate(segments, start=1):
        segs.append(_segment(raw, f"segment rule {i}", i, closure_buffer_days))
    names = [seg.name for seg in segs]
    _require(len(set(names)) == len(names), "segment names must differ")
    return PolicyRules(
        version=version,
        keep_min_score=keep_min_score,
        reduce_min_score=reduce_min_score,
        freeze_min_score=freeze_min_score,
        reduce_share=share,
        closure_buffer_days=closure_buffer_days,
        knockouts=tuple(kos),
        segments=tuple(segs),
    )


SEGMENT_KEYS = frozenset(
    {"name", "conditions", "close_becomes", "reduce_share", "closure_buffer_days", "review"}
)


def _segment(raw, where: str, index: int, policy_buffer_days: int) -> Segment:
    _require(isinstance(raw, Mapping), f"{where} must be an object")
    unknown = sorted(set(raw) - SEGMENT_KEYS)
    _require(not unknown, f"{where}: unknown key {', '.join(map(repr, unknown))}")
    name = str(raw.get("name") or f"segment_{index}")
    # The name is stored on each decision and grouped by: a short identifier.
    _require(
        len(name) <= 64 and name.replace("_", "").isascii() and name.replace("_", "").isalnum(),
        f"{where}: the name must be letters, digits and _ (64 at most)",
    )
    conditions = raw.get("conditions")
    _require(isinstance(conditions, list) and conditions, f"{where}: conditions are required")
    close_becomes = raw.get("close_becomes") or None
    _require(
        close_becomes in (None, "reduce_limit", "freeze"),
        f"{where}: close_becomes must be reduce_limit or freeze",
    )
    seg_share = raw.get("reduce_share")
    if seg_share is not None:
        try:
            seg_share = Decimal(str(seg_share))
        except InvalidOperation as exc:
            raise RulesError(f"{where}: reduce_share must be a number") from exc
        _require(Decimal(0) < seg_share < Decimal(1), f"{where}: reduce_share must be in (0, 1)")
    buffer_days = raw.get("closure_buffer_days")
    if buffer_days is not None:
        _require(
            isinstance(buffer_days, int) and not isinstance(buffer_days, bool),
            f"{where}: closure_buffer_days must be a whole number",
        )
        _require(
            buffer_days >= policy_buffer_days,
            f"{where}: a segment's notice period cannot be shorter than the policy's",
        )
    review = raw.get("review", False)
    _require(isinstance(review, bool), f"{where}: review must be true or false")
    return Segment(
        name=name,
        conditions=tuple(
            _condition(c, f"{where}, condition {j}") for j, c in enumerate(conditions, 1)
        ),
        close_becomes=close_becomes,
        reduce_share=seg_share,
        closure_buffer_days=buffer_days,
        review=review,
    )


def unknown_codes(codes: Iterable[str], known: Iterable[str]) -> list[str]:
    return sorted(set(codes) - set(known))
