"""A scorecard small enough to compute by hand: one attribute, the bureau score.

    score = 500 + points:  no bureau score 0 · below 500: 0 · 500–599: 50 · 600 and up: 100

Active policy:  keep >= 550, reduce >= 520, pause >= 500, else close.
Draft policy:   keep >= 600, reduce >= 550, pause >= 510, else close.
"""

from datetime import timedelta
from decimal import Decimal

from credit.models import DecisionPolicy, Scorecard, VersionStatus
from tests.credit.conftest import NOW
from tests.credit.factories import event, make_line

ATTRIBUTES = [
    {
        "feature": "bureau_score",
        "label": "Credit report score",
        "reason_code": "bureau_score_low",
        "bins": [
            {"label": "none", "missing": True, "points": 0, "reason_code": "bureau_score_missing"},
            {"label": "< 500", "max": 500, "points": 0},
            {"label": "500-599", "min": 500, "max": 600, "points": 50},
            {"label": ">= 600", "min": 600, "points": 100},
        ],
    }
]


def _next(model) -> int:
    return (model.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1


def hand_rules(segments=()):
    """Make the hand-computable scorecard and policy the active ones; return (card, policy)."""
    Scorecard.objects.filter(status=VersionStatus.ACTIVE).update(status=VersionStatus.RETIRED)
    DecisionPolicy.objects.filter(status=VersionStatus.ACTIVE).update(status=VersionStatus.RETIRED)
    card = Scorecard.objects.create(
        version=_next(Scorecard),
        status=VersionStatus.ACTIVE,
        base_points=500,
        attributes=ATTRIBUTES,
        activated_at=NOW,
    )
    policy = DecisionPolicy.objects.create(
        version=_next(DecisionPolicy),
        status=VersionStatus.ACTIVE,
        keep_min_score=550,
        reduce_min_score=520,
        freeze_min_score=500,
        reduce_share=Decimal("0.300"),
        segments=list(segments),
        activated_at=NOW,
    )
    return card, policy


def draft_policy():
    return DecisionPolicy.objects.create(
        version=_next(DecisionPolicy),
        keep_min_score=600,
        reduce_min_score=550,
        freeze_min_score=510,
        reduce_share=Decimal("0.300"),
        notes="Stricter thresholds (draft)",
    )


def line_with_bureau(score: int | None):
    line = make_line(opened_at=NOW - timedelta(days=400))
    if score is not None:
        event(line, "bureau_score", NOW - timedelta(days=3), score=score)
    return line
