"""Reads for "what appeals teach the scorecard": appealed engine decisions a person decided.

Overturned: approved in full or in part (after a second review too). Upheld: denied (finally
or not yet asked again). Left out: appeals restored by the re-evaluation itself (automatically
approved, or moot), whose facts changed after the decision rather than a person disagreeing
with the engine, and decisions not made by the scorecard (staff, campaigns, corrections).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from credit.engine.lessons import AppealedCase
from credit.models import DecisionReason

from .. import states
from ..models import Appeal, appeal_reference

OVERTURNED_STATES = (states.APPROVED, states.PARTIALLY_APPROVED)
UPHELD_STATES = (states.DENIED, states.DENIED_FINAL)


@dataclass(frozen=True)
class LessonCase:
    appeal_id: int
    reference: str
    status: str
    decided_at: datetime | None
    score: int | None
    case: AppealedCase


def appealed_cases() -> list[LessonCase]:
    """Every appealed scorecard decision a person decided, newest decision first, with the
    features stored on the decision and its ranked reason codes (two queries)."""
    rows = list(
        Appeal.objects.filter(
            status__in=[*OVERTURNED_STATES, *UPHELD_STATES], decision__scorecard__isnull=False
        )
        .order_by("-decided_at", "-id")
        .values_list(
            "pk",
            "created_at",
            "status",
            "decided_at",
            "second_decided_at",
            "decision_id",
            "decision__score",
            "decision__features",
        )
    )
    codes: dict[int, list[str]] = {}
    for decision_id, code in (
        DecisionReason.objects.filter(decision_id__in=[r[5] for r in rows])
        .order_by("decision_id", "rank")
        .values_list("decision_id", "reason_code__code")
    ):
        codes.setdefault(decision_id, []).append(code)
    return [
        LessonCase(
            appeal_id=pk,
            reference=appeal_reference(pk=pk, created_at=created_at),
            status=status,
            decided_at=second_at or decided_at,
            score=score,
            case=AppealedCase(
                overturned=status in OVERTURNED_STATES,
                features=features or {},
                reason_codes=tuple(codes.get(decision_id, ())),
            ),
        )
        for pk, created_at, status, decided_at, second_at, decision_id, score, features in rows
    ]
