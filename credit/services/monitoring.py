"""Monitoring, the fourth layer after data, scoring and decisions: what every evaluation saw
(tallied with each chunk), the figures of each day per version and segment, their drift from
the version's shadow run, and alerts to supervisors when a figure leaves its band."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from .. import engine, figures, notices
from ..engine import monitoring as rules
from ..models import (
    AlertKind,
    CreditDecision,
    CreditEvent,
    EvaluationTally,
    MonitoringAlert,
    MonitoringDay,
    ShadowRun,
    ShadowState,
)
from . import breaker

HISTORY_DAYS = 14
SOURCE_HISTORY_DAYS = 7


def _setting(name: str, default):
    return type(default)(getattr(settings, name, default))


def verdict_segment(verdict: engine.Verdict) -> str:
    """The segment a line's figures are grouped under: the policy segment the engine found for
    it (`engine.segment_of`, named on the verdict), empty for the general rules. The one place
    monitoring and shadow runs ask."""
    return verdict.segment or ""


def evaluation_tally_record(
    *,
    rules,
    verdicts: Iterable[engine.Verdict] = (),
    at: datetime,
    counted: Iterable[tuple[engine.Verdict, int]] = (),
) -> int:
    """Record what a chunk of evaluation saw, one row per segment (the caller's transaction):
    each of `verdicts` once, each of `counted` (verdict, lines) for that many lines."""
    groups: dict[str, dict] = {}
    for verdict, lines in itertools.chain(((v, 1) for v in verdicts), counted):
        group = groups.setdefault(
            verdict_segment(verdict),
            {
                "evaluated": 0,
                "adverse": 0,
                "scores": Counter(),
                "knockouts": Counter(),
                "reasons": Counter(),
            },
        )
        group["evaluated"] += lines
        group["scores"][_bin(verdict.score)] += lines
        for name in verdict.knockouts:
            group["knockouts"][name] += lines
        if verdict.outcome != "keep":
            group["adverse"] += lines
            if verdict.reasons:
                group["reasons"][verdict.reasons[0].code] += lines
    EvaluationTally.objects.bulk_create(
        EvaluationTally(
            at=at,
            scorecard=rules.scorecard,
            policy=rules.policy,
            segment=segment,
            evaluated=g["evaluated"],
            adverse=g["adverse"],
            scores=dict(g["scores"]),
            knockouts=dict(g["knockouts"]),
            reasons=dict(g["reasons"]),
        )
        for segment, g in groups.items()
    )
    return len(groups)


def _bin(score: int) -> str:
    return rules.score_bin(score)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@transaction.atomic
def monitoring_day_compute(*, day: date) -> list[MonitoringDay]:
    """The figures of `day` per version and segment, stored (computed again, the same rows are
    updated: the job may run twice). Then the alerts of that day."""
    start, end = day_bounds(day)
    totals: dict[tuple, dict] = defaultdict(
        lambda: {
            "evaluated": 0,
            "adverse": 0,
            "scores": Counter(),
            "knockouts": Counter(),
            "reasons": Counter(),
            "appeals_opened": 0,
            "appeals_overturned": 0,
        }
    )
    for tally in EvaluationTally.objects.filter(at__gte=start, at__lt=end).iterator():
        group = totals[(tally.scorecard_id, tally.policy_id, tally.segment)]
        group["evaluated"] += tally.evaluated
        group["adverse"] += tally.adverse
        for field in ("scores", "knockouts", "reasons"):
            group[field].update(tally_field(tally, field))
    pairs = figures.figures_between(start, end)
    # Each appeal counts under the version and segment of the decision it was about.
    decided_by = {
        pk: (card, policy, segment)
        for pk, card, policy, segment in CreditDecision.objects.filter(
            pk__in={d for d, _ in pairs}, scorecard__isnull=False, policy__isnull=False
        ).values_list("pk", "scorecard_id", "policy_id", "segment")
    }
    for decision_id, figure in pairs:
        if decision_id in decided_by:
            totals[decided_by[decision_id]][figure] += 1
    days = []
    for (card, policy, segment), group in totals.items():
        row, _ = MonitoringDay.objects.update_or_create(
            day=day,
            scorecard_id=card,
            policy_id=policy,
            segment=segment,
            defaults={
                **{k: v for k, v in group.items() if not isinstance(v, Counter)},
                **{k: dict(v) for k, v in group.items() if isinstance(v, Counter)},
                "drift": _drift(card, policy, segment, dict(group["scores"])),
                "computed_at": timezone.now(),
            },
        )
        days.append(row)
    monitoring_alerts_raise(day=day, days=days)
    return days


def tally_field(tally: EvaluationTally, field: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in (getattr(tally, field) or {}).items()}


def _drift(scorecard_id: int, policy_id: int, segment: str, scores: dict[str, int]) -> float | None:
    """PSI of a day's scores against the same segment in the version's latest shadow run."""
    run = (
        ShadowRun.objects.filter(
            state=ShadowState.COMPLETED, scorecard_id=scorecard_id, policy_id=policy_id
        )
        .order_by("-finished_at", "-id")
        .values_list("scores", flat=True)
        .first()
    )
    reference = (run or {}).get(segment)
    return rules.psi(reference, scores) if reference else None


# --- Alerts ---------------------------------------------------------------------------------


def _subject(day: MonitoringDay, extra: str = "") -> str:
    parts = [f"scorecard v{day.scorecard.version}", f"policy v{day.policy.version}"]
    if day.segment:
        parts.append(day.segment)
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def monitoring_alerts_raise(*, day: date, days: list[MonitoringDay]) -> list[MonitoringAlert]:
    """Check the day's figures against their bands; record and tell each new alert once."""
    min_lines = _setting("CREDIT_MONITORING_MIN_LINES", 100)
    found: list[tuple[str, str, float, rules.Band]] = []
    for today in days:
        if today.evaluated < min_lines:
            continue
        history = list(
            MonitoringDay.objects.filter(
                scorecard_id=today.scorecard_id,
                policy_id=today.policy_id,
                segment=today.segment,
                day__lt=day,
                day__gte=day - timedelta(days=HISTORY_DAYS),
                evaluated__gte=min_lines,
            )
        )
        band = rules.band_of(
            [d.adverse / d.evaluated for d in history],
            min_half_width=_setting("CREDIT_MONITORING_ADVERSE_BAND", 0.05),
        )
        share = today.adverse / today.evaluated
        if band is not None and not band.holds(share):
            found.append((AlertKind.ADVERSE_SHARE, _subject(today), share, band))
        codes = set(today.reasons).union(*(d.reasons for d in history))
        for code in sorted(codes):
            band = rules.band_of(
                [d.reasons.get(code, 0) / d.adverse for d in history if d.adverse],
                min_half_width=_setting("CREDIT_MONITORING_REASON_BAND", 0.10),
            )
            if band is None or not today.adverse:
                continue
            share = today.reasons.get(code, 0) / today.adverse
            if not band.holds(share):
                found.append((AlertKind.REASON_SHARE, _subject(today, code), share, band))
        limit = _setting("CREDIT_MONITORING_PSI_ALERT", rules.PSI_ALERT)
        if today.drift is not None and today.drift > limit:
            found.append(
                (AlertKind.SCORE_DRIFT, _subject(today), today.drift, rules.Band(0.0, limit))
            )
    for source in _silent_sources(day):
        found.append((AlertKind.SOURCE_SILENT, source, 0.0, rules.Band(1.0, float("inf"))))
    raised = []
    for kind, subject, value, band in found:
        alert, created = MonitoringAlert.objects.get_or_create(
            day=day,
            kind=kind,
            subject=subject[:200],
            defaults={
                "value": round(value, 4),
                "low": band.low,
                "high": min(band.high, 1e9),
            },
        )
        if created:
            raised.append(alert)
            for supervisor in breaker.supervisors():
                notices.send_monitoring_alert(recipient=supervisor, alert=alert)
    return raised


def _silent_sources(day: date) -> list[str]:
    start, end = day_bounds(day)
    since = start - timedelta(days=SOURCE_HISTORY_DAYS)
    per_day: dict[date, dict[str, int]] = defaultdict(dict)
    for d, source, n in (
        CreditEvent.objects.filter(received_at__gte=since, received_at__lt=end)
        .annotate(d=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
        .values("d", "source")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("d", "source", "n")
    ):
        per_day[d][source] = n
    history = [per_day.get(day - timedelta(days=i), {}) for i in range(1, SOURCE_HISTORY_DAYS + 1)]
    return rules.silent_sources(
        per_day.get(day, {}),
        history,
        min_days=_setting("CREDIT_MONITORING_SOURCE_MIN_DAYS", 5),
    )


def monitoring_yesterday(*, today: date | None = None) -> int:
    """Daily (beat): yesterday's figures and alerts. Returns the rows stored."""
    today = today or timezone.localdate()
    return len(monitoring_day_compute(day=today - timedelta(days=1)))
