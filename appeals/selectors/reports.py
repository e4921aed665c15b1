"""The supervisors' morning report: how appeals went over a date range, every figure an
aggregate computed by the database (GROUP BY, COUNT, ORDER BY … OFFSET for medians); Python
only fills the empty days and divides.

What counts:
- opened: submitted in the range (drafts never sent are not appeals yet); resolved: reached
  a resolved state (decided, approved on submission, or made moot) with `closed_at` in range.
- the targets: among the appeals resolved in the range, the first response came by its due
  time (a decision or approval on submission is the first response when staff never wrote
  first), and the first decision came by the decision due time as it stood at the end
  (extended and paused clocks included). Times are calendar time from submission.
- overturn rate: among the appeals decided in the range (approved, partly approved, approved
  on submission, denied, denied after second review; moot ones are left out), the share that
  ended favourable, grouped by the decision's reason codes, its scorecard and policy versions,
  the campaign that made it, and its segment.
- a reason code is flagged for the risk team when, with enough appeals to judge, its
  overturn rate is both `APPEAL_REPORT_FLAG_MULTIPLE` times and
  `APPEAL_REPORT_FLAG_MARGIN` above that of the appeals that did not cite it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.db import connections
from django.db.models import Aggregate, Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from credit.models import DecisionPolicy, PolicyCampaign, ReasonCode, Scorecard
from notifications.models import Notification, Status
from notifications.registry import Channel

from ..models import Appeal, Survey
from ..states import DENIED, DENIED_FINAL, FAVOURABLE_STATES, RESOLVED_STATES

DECIDED_STATES = (*FAVOURABLE_STATES, DENIED, DENIED_FINAL)
COMMENTS_SHOWN = 20


@dataclass(frozen=True)
class DayCount:
    day: date
    opened: int
    resolved: int


@dataclass(frozen=True)
class OverturnRow:
    key: object  # the reason code, (scorecard id, policy id), campaign id or segment
    label: str
    decided: int
    overturned: int
    flagged: bool = False

    @property
    def rate(self) -> float:
        return self.overturned / self.decided if self.decided else 0.0

    @property
    def rate_display(self) -> str:
        return f"{self.rate * 100:.1f}%"


@dataclass(frozen=True)
class SatisfactionComment:
    appeal_id: int
    reference: str
    rating: int
    comment: str
    submitted_at: datetime


@dataclass
class AppealReport:
    since: date
    until: date
    days: list[DayCount]
    resolved: int
    first_response_on_time: int
    resolution_on_time: int
    median_first_response: timedelta | None
    median_resolution: timedelta | None
    decided: int
    overturned: int
    by_reason: list[OverturnRow]
    by_version: list[OverturnRow]
    by_campaign: list[OverturnRow]
    by_segment: list[OverturnRow]
    survey_count: int
    survey_average: float | None
    ratings: dict[int, int]
    comments: list[SatisfactionComment]
    failed_by_channel: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def opened(self) -> int:
        return sum(d.opened for d in self.days)

    @property
    def first_response_share(self) -> float | None:
        return self.first_response_on_time / self.resolved if self.resolved else None

    @property
    def resolution_share(self) -> float | None:
        return self.resolution_on_time / self.resolved if self.resolved else None

    @property
    def overturn_rate(self) -> float | None:
        return self.overturned / self.decided if self.decided else None

    @property
    def flagged_reasons(self) -> list[OverturnRow]:
        return [row for row in self.by_reason if row.flagged]


# --- pure rules -------------------------------------------------------------------------------


def flag_reasons(
    rows: Sequence[OverturnRow],
    *,
    decided: int,
    overturned: int,
    min_appeals: int,
    multiple: float,
    margin: float,
) -> list[OverturnRow]:
    """Mark the reason codes overturned far more than the rest: at least `min_appeals`
    decided appeals cited it, and its rate is at least `multiple` times and `margin` above the
    rate of the decided appeals that did not cite it. Pure: counts in, rows out."""
    flagged = []
    for row in rows:
        rest_decided = decided - row.decided
        rest_rate = (overturned - row.overturned) / rest_decided if rest_decided else 0.0
        is_flagged = (
            row.decided >= min_appeals
            and row.rate >= multiple * rest_rate
            and row.rate - rest_rate >= margin
        )
        flagged.append(
            OverturnRow(row.key, row.label, row.decided, row.overturned, flagged=is_flagged)
        )
    return flagged


def day_series(
    since: date, until: date, opened: dict[date, int], resolved: dict[date, int]
) -> list[DayCount]:
    days = (until - since).days + 1
    return [
        DayCount(d, opened.get(d, 0), resolved.get(d, 0))
        for d in (since + timedelta(days=i) for i in range(days))
    ]


# --- reads ------------------------------------------------------------------------------------


def _bounds(since: date, until: date, zone: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median in the same pass as the other counts."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _median(queryset: QuerySet, expression) -> timedelta | None:
    """The median of `expression` over `queryset`, by the database: the middle one or two
    values of the ordered rows (ORDER BY … LIMIT 2 OFFSET n/2), no rows brought over."""
    annotated = queryset.annotate(_measured=expression).filter(_measured__isnull=False)
    count = annotated.count()
    if not count:
        return None
    middle = list(
        annotated.order_by("_measured").values_list("_measured", flat=True)[
            (count - 1) // 2 : (count - 1) // 2 + 2
        ]
    )
    if count % 2 or len(middle) == 1:
        return middle[0]
    return (middle[0] + middle[1]) / 2


REASON = "decision__reasons__reason_code"
DECISION_FACTS = (
    "decision__scorecard",
    "decision__policy",
    "decision__campaign_entry__campaign",
    "decision__segment",
)


def _roll_up(grouped: list[dict], *keys: str) -> list[dict]:
    """Sum the grouped counts into groups of `keys` alone (no keys: one grand total)."""
    totals: dict[tuple, dict] = {}
    for g in grouped:
        key = tuple(g[k] for k in keys)
        row = totals.setdefault(
            key, {**dict(zip(keys, key, strict=True)), "decided_count": 0, "overturned_count": 0}
        )
        row["decided_count"] += g["decided_count"]
        row["overturned_count"] += g["overturned_count"]
    return list(totals.values())


def _rows(grouped: list[dict], key, label) -> list[OverturnRow]:
    rows = [
        OverturnRow(key(g), label(g), g["decided_count"], g["overturned_count"]) for g in grouped
    ]
    return sorted(rows, key=lambda r: (-r.rate, -r.decided, str(r.label)))


def appeal_report(*, since: date, until: date, zone: tzinfo | None = None) -> AppealReport:
    """Every figure of the report for the days `since`..`until` (inclusive) in `zone`."""
    zone = zone or timezone.get_current_timezone()
    start, end = _bounds(since, until, zone)

    opened = dict(
        Appeal.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .annotate(day=TruncDate("submitted_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    resolved_in_range = Appeal.objects.filter(
        status__in=RESOLVED_STATES, closed_at__gte=start, closed_at__lt=end
    )
    resolved_per_day = dict(
        resolved_in_range.annotate(day=TruncDate("closed_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    first_response_at = Coalesce("first_responded_at", "decided_at", "closed_at")
    first_decision_at = Coalesce("decided_at", "closed_at")
    to_first_response = ExpressionWrapper(
        first_response_at - F("submitted_at"), output_field=DurationField()
    )
    to_first_decision = ExpressionWrapper(
        first_decision_at - F("submitted_at"), output_field=DurationField()
    )
    in_postgres = connections[resolved_in_range.db].vendor == "postgresql"
    medians = (
        {
            "median_first_response": Median(to_first_response),
            "median_resolution": Median(to_first_decision),
        }
        if in_postgres
        else {}
    )
    sla = resolved_in_range.annotate(
        first_response_at=first_response_at, first_decision_at=first_decision_at
    ).aggregate(
        resolved=Count("id"),
        first_response_on_time=Count(
            "id", filter=Q(first_response_at__lte=F("first_response_due"))
        ),
        resolution_on_time=Count("id", filter=Q(first_decision_at__lte=F("resolution_due"))),
        **medians,
    )
    if in_postgres:
        median_first_response = sla["median_first_response"]
        median_resolution = sla["median_resolution"]
    else:  # SQLite (the embedded mode) has no percentile_cont: the middle rows instead
        submitted = resolved_in_range.filter(submitted_at__isnull=False)
        median_first_response = _median(submitted, to_first_response)
        median_resolution = _median(submitted, to_first_decision)

    # One pass over the decided appeals, their decisions and the decisions' reasons, grouped by
    # reason code and the decision's facts together (a few hundred groups at most). An appeal
    # counts once under each reason code of its decision (codes are unique per decision), and
    # once, through its first reason (or none), for the versions, campaigns and segments.
    decided = resolved_in_range.filter(status__in=DECIDED_STATES)
    favourable = Q(status__in=FAVOURABLE_STATES)
    once = Q(decision__reasons__rank__isnull=True) | Q(decision__reasons__rank=1)
    grouped = list(
        decided.values(REASON, *DECISION_FACTS)
        .annotate(
            decided_count=Count("id"),
            overturned_count=Count("id", filter=favourable),
            decided_once=Count("id", filter=once),
            overturned_once=Count("id", filter=once & favourable),
        )
        .order_by()
    )
    by_decision = [
        {**g, "decided_count": g["decided_once"], "overturned_count": g["overturned_once"]}
        for g in grouped
    ]
    totals = _roll_up(by_decision)
    totals = totals[0] if totals else {"decided_count": 0, "overturned_count": 0}
    by_reason_raw = [g for g in _roll_up(grouped, REASON) if g[REASON] is not None]
    codes = dict(
        ReasonCode.objects.filter(pk__in=[g[REASON] for g in by_reason_raw]).values_list(
            "pk", "code"
        )
    )
    by_reason = flag_reasons(
        _rows(
            by_reason_raw,
            key=lambda g: g[REASON],
            label=lambda g: codes.get(g[REASON], "?"),
        ),
        decided=totals["decided_count"],
        overturned=totals["overturned_count"],
        min_appeals=settings.APPEAL_REPORT_FLAG_MIN_APPEALS,
        multiple=settings.APPEAL_REPORT_FLAG_MULTIPLE,
        margin=settings.APPEAL_REPORT_FLAG_MARGIN,
    )
    by_version_raw = _roll_up(by_decision, "decision__scorecard", "decision__policy")
    cards = {
        c.pk: c
        for c in Scorecard.objects.filter(pk__in=[g["decision__scorecard"] for g in by_version_raw])
    }
    policies = {
        p.pk: p
        for p in DecisionPolicy.objects.filter(
            pk__in=[g["decision__policy"] for g in by_version_raw]
        )
    }

    def version_label(g) -> str:
        card, policy = cards.get(g["decision__scorecard"]), policies.get(g["decision__policy"])
        if card is None and policy is None:
            return "—"
        return " · ".join(str(x) for x in (card, policy) if x is not None)

    by_version = _rows(
        by_version_raw,
        key=lambda g: (g["decision__scorecard"], g["decision__policy"]),
        label=version_label,
    )
    by_campaign_raw = _roll_up(by_decision, "decision__campaign_entry__campaign")
    campaigns = {
        c.pk: c
        for c in PolicyCampaign.objects.filter(
            pk__in=[g["decision__campaign_entry__campaign"] for g in by_campaign_raw]
        )
    }
    by_campaign = _rows(
        by_campaign_raw,
        key=lambda g: g["decision__campaign_entry__campaign"],
        label=lambda g: str(campaigns.get(g["decision__campaign_entry__campaign"]) or "—"),
    )
    by_segment = _rows(
        _roll_up(by_decision, "decision__segment"),
        key=lambda g: g["decision__segment"],
        label=lambda g: g["decision__segment"] or "—",
    )

    surveys = Survey.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    survey_totals = surveys.aggregate(n=Count("id"), average=Avg("rating"))
    ratings = dict(
        surveys.values("rating").annotate(n=Count("id")).order_by().values_list("rating", "n")
    )
    comments = [
        SatisfactionComment(
            appeal_id=s.appeal_id,
            reference=s.appeal.reference,
            rating=s.rating,
            comment=s.comment,
            submitted_at=s.submitted_at,
        )
        for s in surveys.exclude(comment="")
        .select_related("appeal")
        .only("appeal_id", "rating", "comment", "submitted_at", "appeal__created_at")
        .order_by("-submitted_at", "-id")[:COMMENTS_SHOWN]
    ]
    channels = dict(Channel.choices)
    failed_by_channel = [
        (channels.get(g["channel"], g["channel"]), g["failed"], g["total"])
        for g in Notification.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("channel")
        .annotate(total=Count("id"), failed=Count("id", filter=Q(status=Status.FAILED)))
        .order_by("channel")
    ]

    return AppealReport(
        since=since,
        until=until,
        days=day_series(since, until, opened, resolved_per_day),
        resolved=sla["resolved"],
        first_response_on_time=sla["first_response_on_time"],
        resolution_on_time=sla["resolution_on_time"],
        median_first_response=median_first_response,
        median_resolution=median_resolution,
        decided=totals["decided_count"],
        overturned=totals["overturned_count"],
        by_reason=by_reason,
        by_version=by_version,
        by_campaign=by_campaign,
        by_segment=by_segment,
        survey_count=survey_totals["n"],
        survey_average=survey_totals["average"],
        ratings={r: ratings.get(r, 0) for r in range(1, 6)},
        comments=comments,
        failed_by_channel=failed_by_channel,
    )
