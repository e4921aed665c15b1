"""What "My credit" and `GET /api/v1/me/credit-line/` show a borrower, read in a few queries.

The page and the API present the same `CreditOverview`, so they can never disagree about
which decision explains the line, whether it can be appealed, or how many days are left.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from accounts.localtime import local_date
from config.page_cache import page_cache_get, page_cache_set

from . import counterfactual_texts, holds
from .appealability import appeal_until
from .charts import ScoreChart, score_chart
from .explaining import NEEDS_OLDER, DecisionFacts, explaining_index
from .models import (
    ADVERSE_OUTCOMES,
    CreditDecision,
    CreditEvent,
    CreditEventKind,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
)
from .segment_notes import segment_note
from .selectors import (
    credit_line_for_overview,
    decision_explaining_line,
    decision_history_for_line,
    decision_was_corrected,
    scores_for_line,
    with_repayment_figures,
)

# Who made a decision, in the words a borrower reads: the scorecard ("our automated risk
# system"), a product policy change, a person, or the correction of our own error.
DECIDED_BY_SYSTEM = "system"
DECIDED_BY_POLICY = "policy"
DECIDED_BY_PERSON = "person"
DECIDED_BY_APPEAL = "appeal"
DECIDED_BY_CORRECTION = "correction"
_DECIDERS = {
    DecisionTrigger.EVENT: DECIDED_BY_SYSTEM,
    DecisionTrigger.PERIODIC: DECIDED_BY_SYSTEM,
    DecisionTrigger.CAMPAIGN: DECIDED_BY_POLICY,
    DecisionTrigger.STAFF: DECIDED_BY_PERSON,
    DecisionTrigger.APPEAL: DECIDED_BY_APPEAL,
    DecisionTrigger.CORRECTION: DECIDED_BY_CORRECTION,
}
# Statuses in which the borrower can still draw on the line.
BORROWING_STATUSES = (CreditLineStatus.ACTIVE, CreditLineStatus.CLOSING)
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
    # What would change the decision, as it bears on this reason (stored with the decision).
    would_change: tuple[str, ...] = ()

    @property
    def help_topic(self) -> str:
        """The Help section on this reason's category (an anchor on the Help page, which has
        one `why-<category>` section per category, e.g. `why-multi-lending`)."""
        return "why-" + self.category.replace("_", "-")


@dataclass(frozen=True, slots=True)
class DecisionView:
    decision: CreditDecision
    reasons: tuple[ReasonView, ...]
    appeal_until: datetime | None  # None: this decision cannot be appealed (any more)
    corrected: bool = False  # reversed later as our error (a system error correction)
    # A reduction or pause whose notice period is still running: told as scheduled, not done.
    takes_effect_later: bool = False

    @property
    def appealable(self) -> bool:
        return self.appeal_until is not None

    @property
    def decided_by(self) -> str:
        return _DECIDERS.get(self.decision.trigger, DECIDED_BY_SYSTEM)

    @property
    def campaign_ends_on(self):
        """The end date of the campaign that took this decision, if it has one."""
        try:
            entry = self.decision.campaign_entry
        except ObjectDoesNotExist:
            return None
        return entry.campaign.ends_on

    @property
    def knockout(self) -> ReasonView | None:
        """The rule that decided on its own, whatever the score (always ranked first)."""
        return next((r for r in self.reasons if r.knockout), None)

    @property
    def score_decided(self) -> bool:
        """True when the scorecard's score led to this decision (no rule or person overrode it)."""
        return self.decided_by == DECIDED_BY_SYSTEM and self.knockout is None

    @property
    def is_adverse(self) -> bool:
        return self.decision.outcome in ADVERSE_OUTCOMES

    @property
    def segment_note(self) -> str:
        """What the borrower's policy segment changed (a closure softened, a longer notice),
        in the active language; "" when it changed nothing."""
        return segment_note(self.decision)


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
    decisions: tuple[DecisionView, ...]  # the newest TIMELINE_LENGTH (the API pages the rest)
    timeline: tuple[TimelineItem, ...]
    repayments: RepaymentRecord | None
    chart: ScoreChart | None
    days_left: int | None
    holds: tuple[holds.Hold, ...] = field(default_factory=tuple)

    @property
    def on_hold(self) -> bool:
        """A closing line whose closure something (an open appeal) holds."""
        return self.line.status == CreditLineStatus.CLOSING and bool(self.holds)

    @property
    def hold_labels(self) -> tuple:
        return tuple(h.label for h in self.holds if h.label)

    @property
    def can_borrow(self) -> bool:
        return self.line.status in BORROWING_STATUSES

    @property
    def available_now(self) -> Decimal:
        """What the borrower can borrow today: nothing on a closed or paused line."""
        return self.line.available if self.can_borrow else Decimal("0.00")

    @property
    def corrected(self) -> tuple[DecisionView, ...]:
        return tuple(v for v in self.decisions if v.corrected)

    @property
    def credit_report_affected(self) -> bool:
        """Whether our decisions reach the borrower's credit report (a deployment's setting)."""
        return bool(getattr(settings, "CREDIT_DECISIONS_REPORTED_TO_BUREAU", False))

    @property
    def chart_caption(self) -> str:
        """What the score chart's caption may say: `threshold` only when the score decided the
        line's state; otherwise what did (`knockout`, or who decided)."""
        explaining = self.explaining
        if explaining is None or explaining.score_decided:
            return "threshold"
        if explaining.decided_by == DECIDED_BY_SYSTEM:
            return "knockout"
        return explaining.decided_by

    @property
    def limit_reduced(self) -> bool:
        """The limit was cut (and the cut is in effect: a scheduled one is `scheduled_change`)."""
        d = self.explaining and self.explaining.decision
        return bool(
            d
            and d.outcome == DecisionOutcome.REDUCE_LIMIT
            and d.new_limit < d.old_limit
            and not self.line.scheduled_change
        )

    @property
    def scheduled_change(self) -> str:
        """A reduction or pause waiting for the end of its notice period ("" when none)."""
        return self.line.scheduled_change

    @property
    def change_held(self) -> bool:
        """An open appeal holds the scheduled reduction or pause."""
        return bool(self.line.scheduled_change and self.holds)

    @property
    def scheduled_on(self) -> date | None:
        """The day the scheduled change takes effect, in the borrower's time zone."""
        at = self.line.scheduled_change_at
        return local_date(at, self.line.borrower) if at else None

    @property
    def restored(self) -> DecisionView | None:
        """The latest decision, when it restored the line (shown with its before and after)."""
        if self.decisions and self.decisions[0].decision.outcome == DecisionOutcome.REINSTATE:
            return self.decisions[0]
        return None


def _reason_views(decision: CreditDecision, language: str) -> tuple[ReasonView, ...]:
    with translation.override(language):
        return _reason_views_in(decision, language)


def _reason_views_in(decision: CreditDecision, language: str) -> tuple[ReasonView, ...]:
    reasons = list(decision.reasons.all())  # prefetched in rank order
    would_change = counterfactual_texts.sentences_by_reason(
        decision.counterfactuals or [], [r.reason_code.code for r in reasons]
    )
    return tuple(
        ReasonView(
            rank=r.rank,
            code=r.reason_code.code,
            category=r.reason_code.category,
            title=r.title_in(language),
            explanation=r.explanation_in(language),
            advice=r.advice_in(language),
            points_lost=r.points_lost,
            knockout=r.knockout,
            appealable=r.reason_code.appealable,
            would_change=tuple(lines),
        )
        for r, lines in zip(reasons, would_change, strict=True)
    )


def decision_view(decision: CreditDecision, *, language: str, now: datetime) -> DecisionView:
    """One decision as the borrower reads it (a decision of `decision_history_for_line` or
    `decision_explaining_line`: reasons prefetched, the correction flag annotated)."""
    reasons = _reason_views(decision, language)
    until = appeal_until(decision, now=now, appealable_reasons=[r.appealable for r in reasons])
    return DecisionView(
        decision,
        reasons,
        until,
        corrected=decision_was_corrected(decision),
        takes_effect_later=decision.effective_at is not None and decision.effective_at > now,
    )


def _explaining(
    line: CreditLine, views: list[DecisionView], *, language: str, now: datetime
) -> DecisionView | None:
    """The decision that explains the line: found among the newest decisions shown, or read
    further back by `decision_explaining_line` when those do not settle the rule."""
    index = explaining_index(
        line_status=line.status,
        decisions=[DecisionFacts(v.decision.outcome, has_reasons=bool(v.reasons)) for v in views],
        complete=len(views) < TIMELINE_LENGTH,
    )
    if index != NEEDS_OLDER:
        return None if index is None else views[index]
    decision = decision_explaining_line(line=line)
    return None if decision is None else decision_view(decision, language=language, now=now)


def _repayments(source: CreditDecision | None) -> RepaymentRecord | None:
    """The repayment record the explaining (else the latest) decision was taken on, from the
    two figures `with_repayment_figures` read with it (history rows leave the features out)."""
    if source is None:
        return None
    due = int(getattr(source, "repayments_due", None) or 0)
    late = int(getattr(source, "repayments_late", None) or 0)
    return RepaymentRecord(due=due, on_time=max(due - late, 0)) if due else None


def credit_overview_for_borrower(*, user, language: str) -> CreditOverview | None:
    """The signed-in borrower's own line, explained. None when they have no line."""
    if not getattr(user, "is_authenticated", False):
        return None
    line = credit_line_for_overview(user=user)
    if line is None:
        return None
    return _overview(line, user=user, language=language, now=timezone.now())


def _overview(line: CreditLine, *, user, language: str, now: datetime) -> CreditOverview:

    # Only what the page shows: the newest decisions of the timeline, the one that explains
    # the line and the chart's scores, however long the history.
    views = [
        decision_view(decision, language=language, now=now)
        for decision in with_repayment_figures(decision_history_for_line(line_id=line.pk))[
            :TIMELINE_LENGTH
        ]
    ]
    explaining = _explaining(line, views, language=language, now=now)

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
    if len(scored) < SCORE_POINTS and len(views) == TIMELINE_LENGTH:  # older ones may score
        scored = scores_for_line(line_id=line.pk, count=SCORE_POINTS)
    chart = score_chart(list(reversed(scored[:SCORE_POINTS])), threshold=line.keep_min_score)

    days_left, line_holds = _days_left_and_holds(line, user=user, now=now)
    return CreditOverview(
        line=line,
        explaining=explaining,
        decisions=tuple(views),
        timeline=tuple(timeline),
        repayments=_repayments(
            explaining.decision if explaining else (views[0].decision if views else None)
        ),
        chart=chart,
        days_left=days_left,
        holds=line_holds,
    )


def _days_left_and_holds(
    line: CreditLine, *, user, now: datetime
) -> tuple[int | None, tuple[holds.Hold, ...]]:
    days_left = None
    line_holds: tuple[holds.Hold, ...] = ()
    if line.status == CreditLineStatus.CLOSING and line.closing_effective_at:
        # Calendar days in the borrower's own time zone: "closes on the 21st" is 23 days away
        # on the 28th whatever the hour.
        days_left = max(
            (local_date(line.closing_effective_at, user) - local_date(now, user)).days, 0
        )
        line_holds = tuple(holds.holds_for([line.id]).get(line.id, ()))
    elif line.scheduled_change:
        line_holds = tuple(holds.holds_for([line.id]).get(line.id, ()))
    return days_left, line_holds


# --- "My credit" with its history rendered once per change ----------------------------------

# The parts of "My credit" that show the line's history, rendered once and kept in the cache
# until the history changes: they are the page's cost (the decisions with their reasons, the
# events, the scores, and rendering them), and they change only when something is decided or
# reported. Everything that depends on the moment of the request (days left, holds, appeal
# deadlines, the appeal panel) is computed for every request, outside them.
HISTORY_FRAGMENTS = {
    "restored": "credit/includes/restored.html",
    "why": "credit/includes/why.html",
    "chart": "credit/includes/score_chart.html",
    "timeline": "credit/includes/history.html",
}
# One entry per line and language, replaced when its fingerprint changes (so old versions do
# not pile up); the timeout only bounds how long an entry of a line nobody opens stays.
HISTORY_CACHE_SECONDS = 6 * 60 * 60
HISTORY_CACHE_VERSION = 1
# How long an event stays on the timeline (`_overview` reads the last 365 days).
EVENT_WINDOW = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class RenderedHistory:
    """What the cache keeps of a line's history: the fragments, the explaining decision (the
    status card and the appeal panel read it; its deadline is recomputed per request) and the
    first moment the fragments' words would change by the clock alone."""

    fingerprint: tuple
    fragments: dict[str, str]
    explaining: DecisionView | None
    valid_until: datetime | None


def history_cache_key(*, line_id: int, user_id: int, language: str) -> str:
    """Where a line's rendered history is kept for one language (one entry, replaced)."""
    return f"credit:my-credit:v{HISTORY_CACHE_VERSION}:{line_id}:{user_id}:{language}"


def _history_fingerprint(line: CreditLine, *, user, language: str) -> tuple:
    """Everything the fragments show that can change: the line's newest decision and newest
    event shown (a new decision also marks older ones corrected or no longer the latest), its
    status (which decision explains it), the active policy's threshold (the chart's line), the
    last edit of a reason code (appealable or not), the language and the borrower's time zone
    (every date), and whether decisions reach the credit report (a deployment setting)."""
    return (
        line.pk,
        user.pk,
        line.status,
        line.latest_decision_id,
        line.latest_event_id,
        line.keep_min_score,
        line.reasons_changed_at.isoformat() if line.reasons_changed_at else None,
        language,
        timezone.get_current_timezone_name(),
        bool(getattr(settings, "CREDIT_DECISIONS_REPORTED_TO_BUREAU", False)),
    )


def _render_fragments(overview: CreditOverview) -> dict[str, str]:
    context = {"overview": overview, "line": overview.line, "explaining": overview.explaining}
    return {name: render_to_string(path, context) for name, path in HISTORY_FRAGMENTS.items()}


def _valid_until(overview: CreditOverview, *, now: datetime) -> datetime | None:
    """The first moment the rendered history would read differently with nothing new stored:
    a scheduled reduction or pause taking effect ("scheduled" becomes "reduced"), or an event
    leaving the timeline's year."""
    moments = [
        item.decision.decision.effective_at
        for item in overview.timeline
        if item.decision is not None
        and item.decision.decision.effective_at is not None
        and item.decision.decision.effective_at > now
    ]
    moments += [item.at + EVENT_WINDOW for item in overview.timeline if item.event is not None]
    return min(moments, default=None)


def _cacheable(overview: CreditOverview) -> bool:
    """Whether the fragments show only what the fingerprint covers. Not when a campaign's
    decision explains the line (its end date is the campaign's, which staff may change), nor
    when a reason has no wording version of its own (an old row that shows the reason code's
    current texts, which staff may edit)."""
    explaining = overview.explaining
    if explaining is not None and explaining.decided_by == DECIDED_BY_POLICY:
        return False
    shown = [item.decision for item in overview.timeline if item.decision is not None]
    if explaining is not None:
        shown.append(explaining)
    return all(r.wording_id for view in shown for r in view.decision.reasons.all())


def _as_of(view: DecisionView | None, *, now: datetime) -> DecisionView | None:
    """A cached decision view with what depends on the moment recomputed."""
    if view is None:
        return None
    decision = view.decision
    return replace(
        view,
        appeal_until=appeal_until(
            decision, now=now, appealable_reasons=[r.appealable for r in view.reasons]
        ),
        takes_effect_later=decision.effective_at is not None and decision.effective_at > now,
    )


@dataclass(frozen=True, slots=True)
class MyCreditPage:
    """ "My credit": the overview the status card and the panels read, and the history's
    fragments, rendered. The overview's `decisions`, `timeline` and `chart` are left empty
    (the fragments show them): a panel reads the line and the explaining decision."""

    overview: CreditOverview
    history: dict[str, str]


def my_credit_for_borrower(*, user, language: str) -> MyCreditPage | None:
    """The signed-in borrower's "My credit", with the rendered history from the cache when
    nothing it shows has changed. None when they have no line."""
    if not getattr(user, "is_authenticated", False):
        return None
    line = credit_line_for_overview(user=user, event_kinds_shown=KEY_EVENT_KINDS)
    if line is None:
        return None
    now = timezone.now()
    key = history_cache_key(line_id=line.pk, user_id=user.pk, language=language)
    fingerprint = _history_fingerprint(line, user=user, language=language)
    cached = page_cache_get(key, what="My credit")
    if (
        not isinstance(cached, RenderedHistory)
        or cached.fingerprint != fingerprint
        or (cached.valid_until is not None and cached.valid_until <= now)
    ):
        full = _overview(line, user=user, language=language, now=now)
        cached = RenderedHistory(
            fingerprint=fingerprint,
            fragments=_render_fragments(full),
            explaining=full.explaining,
            valid_until=_valid_until(full, now=now),
        )
        if _cacheable(full):
            page_cache_set(key, cached, HISTORY_CACHE_SECONDS, what="My credit")
    days_left, line_holds = _days_left_and_holds(line, user=user, now=now)
    overview = CreditOverview(
        line=line,
        explaining=_as_of(cached.explaining, now=now),
        decisions=(),
        timeline=(),
        repayments=None,
        chart=None,
        days_left=days_left,
        holds=line_holds,
    )
    return MyCreditPage(
        overview=overview,
        history={name: mark_safe(html) for name, html in cached.fragments.items()},  # noqa: S308 - our templates' output
    )
