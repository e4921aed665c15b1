"""What a campaign or a correction would do before it runs, what a shadow run found, and how
far a run has got: counts in a few grouped queries however many lines match, and a sample
(reads only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, CharField, Count, F, Value, When
from django.utils import timezone

from .engine import campaigns as campaign_rules
from .engine.rules import SEVERITY
from .models import (
    CampaignLine,
    CorrectedDecision,
    CreditDecision,
    PolicyCampaign,
    ShadowLine,
    ShadowRun,
    SystemCorrection,
)
from .services.campaigns import campaign_segment
from .services.corrections import correction_decisions

SAMPLE_SIZE = 10


@dataclass
class CampaignPreview:
    total: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_band: dict[str, int] = field(default_factory=dict)
    # (band, outcome) -> lines: the table the preview page draws
    by_band_and_outcome: dict[tuple[str, str], int] = field(default_factory=dict)
    sample: list = field(default_factory=list)


def _band_expression(now: datetime):
    whens = [
        When(opened_at__lte=campaign_rules.months_before(now, lower), then=Value(name))
        for lower, name in reversed(campaign_rules.TENURE_BANDS)
        if lower
    ]
    return Case(*whens, default=Value(campaign_rules.TENURE_BANDS[0][1]), output_field=CharField())


def campaign_preview(campaign: PolicyCampaign, *, now: datetime | None = None) -> CampaignPreview:
    """Counts of the lines the campaign would change (or skip), without changing anything."""
    now = now or timezone.now()
    lines = campaign_segment(campaign, now=now)
    preview = CampaignPreview()
    by_outcome, by_status, by_band, cross = Counter(), Counter(), Counter(), Counter()
    grouped = (
        lines.annotate(band=_band_expression(now))
        .values("status", "band")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in grouped:
        outcome = campaign_rules.preview_outcome(campaign.action, row["status"])
        by_outcome[outcome] += row["n"]
        by_status[row["status"]] += row["n"]
        by_band[row["band"]] += row["n"]
        cross[(row["band"], outcome)] += row["n"]
    preview.total = sum(by_status.values())
    preview.by_outcome, preview.by_status = dict(by_outcome), dict(by_status)
    order = [name for _, name in campaign_rules.TENURE_BANDS]
    preview.by_band = {band: by_band[band] for band in order if by_band[band]}
    preview.by_band_and_outcome = dict(cross)
    preview.sample = list(lines.select_related("borrower").order_by("id")[:SAMPLE_SIZE])
    return preview


def campaign_progress(campaign: PolicyCampaign) -> dict[str, int]:
    """How many of the campaign's lines are in each state (the run page's counts)."""
    return dict(
        CampaignLine.objects.filter(campaign=campaign)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("state", "n")
    )


@dataclass
class CorrectionPreview:
    decisions: int = 0
    lines: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_trigger: dict[str, int] = field(default_factory=dict)
    sample: list = field(default_factory=list)


def correction_preview(correction: SystemCorrection) -> CorrectionPreview:
    """The decisions a correction would undo, counted, and a sample (reads only)."""
    selected = CreditDecision.objects.filter(pk__in=correction_decisions(correction).values("pk"))
    preview = CorrectionPreview()
    preview.by_outcome = dict(
        selected.values("outcome").annotate(n=Count("id")).order_by().values_list("outcome", "n")
    )
    preview.by_trigger = dict(
        selected.values("trigger").annotate(n=Count("id")).order_by().values_list("trigger", "n")
    )
    preview.decisions = sum(preview.by_outcome.values())
    preview.lines = selected.values("line").distinct().count()
    preview.sample = list(
        selected.select_related("line__borrower").order_by("-created_at", "-id")[:SAMPLE_SIZE]
    )
    return preview


def correction_progress(correction: SystemCorrection) -> dict[str, int]:
    """How many of the correction's lines are in each state (the run page's counts)."""
    return dict(
        CorrectedDecision.objects.filter(correction=correction)
        .values("state")
        .annotate(n=Count("line", distinct=True))
        .order_by()
        .values_list("state", "n")
    )


@dataclass
class ShadowReport:
    lines: int = 0
    changed: int = 0
    # (outcome now, outcome tried) -> lines, for the lines whose outcome would change
    transitions: dict[tuple[str, str], int] = field(default_factory=dict)
    # first reason tried -> lines whose outcome would change for the worse
    reasons: dict[str, int] = field(default_factory=dict)
    # segment -> {(now, tried): lines}, changed lines only
    by_segment: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    sample: list = field(default_factory=list)


def shadow_report(run: ShadowRun) -> ShadowReport:
    """What a shadow run found: the outcomes that would change (from → to), the reasons that
    drive them, per segment, and a sample of changed lines. Grouped queries only."""
    rows = ShadowLine.objects.filter(run=run)
    changed = rows.exclude(current=F("would"))
    report = ShadowReport(lines=rows.count())
    by_segment: dict[str, Counter] = {}
    transitions: Counter = Counter()
    for segment, now, tried, n in (
        changed.values("segment", "current", "would")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("segment", "current", "would", "n")
    ):
        transitions[(now, tried)] += n
        by_segment.setdefault(segment, Counter())[(now, tried)] += n
    report.transitions = dict(transitions.most_common())
    report.changed = sum(transitions.values())
    report.by_segment = {s: dict(c.most_common()) for s, c in sorted(by_segment.items())}
    worse = [(now, tried) for now, tried in transitions if _severity(tried) > _severity(now)]
    reasons: Counter = Counter()
    for now, tried in worse:
        for reason, n in (
            changed.filter(current=now, would=tried)
            .values("reason")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("reason", "n")
        ):
            reasons[reason] += n
    report.reasons = dict(reasons.most_common())
    report.sample = list(changed.select_related("line__borrower").order_by("line_id")[:SAMPLE_SIZE])
    return report


def _severity(outcome: str) -> int:
    """keep < reduce_limit < freeze < close; "none" (nothing active) counts as keep."""
    return SEVERITY.get(outcome, 0)
