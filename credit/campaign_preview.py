"""What a campaign would do before it runs: counts by outcome, line status and tenure band,
and a sample of lines (reads only; two grouped queries however many lines match)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, CharField, Count, Value, When
from django.utils import timezone

from .engine import campaigns as campaign_rules
from .models import CampaignLine, PolicyCampaign
from .services.campaigns import campaign_segment

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
