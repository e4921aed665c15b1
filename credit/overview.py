"""What "My credit" and `GET /api/v1/me/credit-line/` show a borrower, read in a few queries.

The page and the API present the same `CreditOverview`, so they can never disagree about
which decision explains the line, whether it can be appealed, or how many days are left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.localtime import local_date

from . import holds
from .appealability import appeal_until
from .charts import ScoreChart, score_chart
from .explaining import DecisionFacts, explaining_index
from .models import (
    ADVERSE_OUTCOMES,
    CreditDecision,
    CreditEvent,
    CreditEventKind,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionPolicy,
    VersionStatus,
)
from .selectors import decisions_for_line

TIMELINE_LENGTH = 15
SCORE_POINTS = 12
# Events worth a line on the borrower's timeline; each repayment is summarised instead.
KEY_EVENT_KINDS = (
    CreditEventKind.EXTERNAL_OVERDUE,
    CreditEventKind.EXTERNAL_LOAN_APPLICATION,
    CreditEventKind.EXTERNAL_LOAN_OPENED,
    CreditEventKind.EXTERNAL_LOAN_CLOSED,
    CreditEventKind.BUREAU_SCORE,
    CreditEventKind.INCOME_VERIFIED,
    CreditEventKind.IDENTITY_EXPIRED,
)


@dataclass(frozen=True, slots=True)
class ReasonView:
    rank: int
    code: str
    category: str
    title: str
    explanation: str
    advice: str
    points_lost: int
    knockout: bool
    appealable: bool


@dataclass(frozen=True, slots=True)
class DecisionView:
    decision: CreditDecision
    reasons: tuple[ReasonView, ...]
    appeal_until: datetime | None  # None: this decision cannot be appealed (any more)

    @property
    def appealable(self) -> bool:
        return self.appeal_until is not None

    @property
    def is_adverse(self) -> bool:
        return self.decision.outcome in ADVERSE_OUTCOMES


@dataclass(frozen=True, slots=True)
class RepaymentRecord:
    due: int
    on_time: int

    @property
    def all_on_time(self) -> bool:
        return self.due > 0 and self.on_time == self.due


@dataclass(frozen=True, slots=True)
class TimelineItem:
    at: datetime
    decision: DecisionView | None = None
    event: CreditEvent | None = None


@dataclass(frozen=True, slots=True)
class CreditOverview:
    line: CreditLine
    explaining: DecisionView | None  # the decision behind the line's present state
    decisions: tuple[DecisionView, ...]
    timeline: tuple[TimelineItem, ...]
    repayments: RepaymentRecord | None
    chart: ScoreChart | None
    days_left: int | None
    holds: tuple[holds.Hold, ...] = field(default_factory=tuple)

    @property
    def limit_reduced(self) -> bool:
        d = self.explaining and self.explaining.decision
        return bool(d and d.outcome == DecisionOutcome.REDUCE_LIMIT and d.new_limit < d.old_limit)

    @property
    def restored(self) -> DecisionView | None:
        """The latest decision, when it restored the line (shown with its before and after)."""
        if self.decisions and self.decisions[0].decision.outcome == DecisionOutcome.REINSTATE:
            return self.decisions[0]
        return None


def _reason_views(decision: CreditDecision, language: str) -> tuple[ReasonView, ...]:
    return tuple(
        ReasonView(
            rank=r.rank,
            code=r.reason_code.code,
            category=r.reason_code.category,
            title=r.reason_code.title_in(language),
            explanation=r.reason_code.explanation_in(language),
            advice=r.reason_code.advice_in(language),
            points_lost=r.points_lost,
            knockout=r.knockout,
            appealable=r.reason_code.appealable,
        )
        for r in decision.reasons.all()  # prefetched in rank order
    )


def _explaining(line: CreditLine, views: list[DecisionView]) -> DecisionView | None:
    index = explaining_index(
        line_status=line.status,
        decisions=[DecisionFacts(v.decision.outcome, has_reasons=bool(v.reasons)) for v in views],
    )
    return None if index is None else views[index]


def _repayments(views: list[DecisionView], explaining: DecisionView | None) -> RepaymentRecord:
    source = explaining or (views[0] if views else None)
    if source is None:
        return None
    features = source.decision.features or {}
    due = int(features.get("repayments_due_12m") or 0)
    late = int(features.get("repayments_late_12m") or 0)
    return RepaymentRecord(due=due, on_time=max(due - late, 0)) if due else None


def _keep_threshold() -> int | None:
    return (
        DecisionPolicy.objects.filter(status=VersionStatus.ACTIVE)
        .values_list("keep_min_score", flat=True)
        .first()
    )


def credit_overview_for_borrower(*, user, language: str) -> CreditOverview | None:
    """The signed-in borrower's own line, explained. None when they have no line."""
    if not getattr(user, "is_authenticated", False):
        return None
    line = CreditLine.objects.select_related("borrower").filter(borrower=user).first()
    if line is None:
        return None
    now = timezone.now()

    views = []
    for decision in decisions_for_line(line=line):
        reasons = _reason_views(decision, language)
        until = appeal_until(decision, now=now, appealable_reasons=[r.appealable for r in reasons])
        views.append(DecisionView(decision, reasons, until))
    explaining = _explaining(line, views)

    key_events = list(
        CreditEvent.objects.filter(
            line=line, kind__in=KEY_EVENT_KINDS, occurred_at__gte=now - timedelta(days=365)
        ).order_by("-occurred_at")[:TIMELINE_LENGTH]
    )
    timeline = sorted(
        [TimelineItem(at=v.decision.created_at, decision=v) for v in views[:TIMELINE_LENGTH]]
        + [TimelineItem(at=e.occurred_at, event=e) for e in key_events],
        key=lambda item: item.at,
        reverse=True,
    )[:TIMELINE_LENGTH]

    scored = [(v.decision.created_at, v.decision.score) for v in views if v.decision.score]
    chart = score_chart(list(reversed(scored[:SCORE_POINTS])), threshold=_keep_threshold())

    days_left = None
    line_holds: tuple[holds.Hold, ...] = ()
    if line.status == CreditLineStatus.CLOSING and line.closing_effective_at:
        # Calendar days in the borrower's own time zone: "closes on the 21st" is 23 days away
        # on the 28th whatever the hour.
        days_left = max(
            (local_date(line.closing_effective_at, user) - local_date(now, user)).days, 0
        )
        line_holds = tuple(holds.holds_for([line.id]).get(line.id, ()))

    return CreditOverview(
        line=line,
        explaining=explaining,
        decisions=tuple(views),
        timeline=tuple(timeline),
        repayments=_repayments(views, explaining),
        chart=chart,
        days_left=days_left,
        holds=line_holds,
    )
