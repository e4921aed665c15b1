"""The decision engine: pure Python, no ORM. Facts in, features, score, verdict and plan out."""

from .decide import (
    MAX_REASONS,
    AttributeScore,
    LineState,
    Plan,
    Reason,
    ScoreResult,
    Verdict,
    closure_buffer,
    decide,
    plan_change,
    principal_reasons,
    reduced_limit,
    score,
)
from .features import (
    EventFact,
    Features,
    LineFacts,
    compute_features,
    facts_from_rows,
    feature_names,
)
from .rules import (
    PolicyRules,
    RulesError,
    ScorecardRules,
    parse_policy,
    parse_scorecard,
)

__all__ = [
    "MAX_REASONS",
    "AttributeScore",
    "EventFact",
    "Features",
    "LineFacts",
    "LineState",
    "Plan",
    "PolicyRules",
    "Reason",
    "RulesError",
    "ScoreResult",
    "ScorecardRules",
    "Verdict",
    "closure_buffer",
    "compute_features",
    "decide",
    "facts_from_rows",
    "feature_names",
    "parse_policy",
    "parse_scorecard",
    "plan_change",
    "principal_reasons",
    "reduced_limit",
    "score",
]
