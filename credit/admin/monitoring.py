"""Monitoring: each version's daily figures drawn as server-side charts (inline SVG, no
script), the latest day per segment, and the alerts raised. Read-only: the daily job writes."""

from collections import defaultdict
from datetime import timedelta

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..charts import series_chart
from ..engine import monitoring as rules
from ..models import MonitoringAlert, MonitoringDay
from .shadow import GENERAL_SEGMENT

DAYS_SHOWN = 30


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def version_panels(days) -> list[dict]:
    """One panel per scorecard + policy version: its charts and its latest day by segment."""
    grouped: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
    versions = {}
    for row in days:
        key = (row.scorecard_id, row.policy_id)
        versions[key] = (row.scorecard, row.policy)
        grouped[key][row.day].append(row)
    panels = []
    for key, by_day in sorted(grouped.items(), key=lambda kv: max(kv[1]), reverse=True):
        ordered = sorted(by_day)
        label = [d.strftime("%m-%d") for d in ordered]
        evaluated = [sum(r.evaluated for r in by_day[d]) for d in ordered]
        adverse = [sum(r.adverse for r in by_day[d]) for d in ordered]
        shares = [a / e if e else 0.0 for a, e in zip(adverse, evaluated, strict=True)]
        drifts = [max((r.drift or 0.0) for r in by_day[d]) for d in ordered]
        opened = [sum(r.appeals_opened for r in by_day[d]) for d in ordered]
        overturned = [sum(r.appeals_overturned for r in by_day[d]) for d in ordered]
        knockouts = [sum(sum(r.knockouts.values()) for r in by_day[d]) for d in ordered]
        latest = sorted(by_day[ordered[-1]], key=lambda r: r.segment)
        card, policy = versions[key]
        panels.append(
            {
                "scorecard": card,
                "policy": policy,
                "first_day": ordered[0],
                "last_day": ordered[-1],
                "charts": [
                    {
                        "title": _("Adverse share"),
                        "kind": "line",
                        "chart": series_chart(list(zip(label, shares, strict=True))),
                        "last": _percent(shares[-1]),
                    },
                    {
                        "title": _("Lines evaluated"),
                        "kind": "bars",
                        "chart": series_chart(list(zip(label, evaluated, strict=True))),
                        "last": f"{evaluated[-1]:,}",
                    },
                    {
                        "title": _("Score drift from the shadow run (PSI)"),
                        "kind": "line",
                        "chart": series_chart(
                            list(zip(label, drifts, strict=True)), limit=rules.PSI_ALERT
                        ),
                        "last": f"{drifts[-1]:.2f}",
                        "legend": _("Dashed line: the alert level (0.25)."),
                    },
                    {
                        "title": _("Knock-out rule hits"),
                        "kind": "bars",
                        "chart": series_chart(list(zip(label, knockouts, strict=True))),
                        "last": f"{knockouts[-1]:,}",
                    },
                    {
                        "title": _("Appeals opened"),
                        "kind": "bars",
                        "chart": series_chart(list(zip(label, opened, strict=True))),
                        "last": f"{opened[-1]:,}",
                    },
                    {
                        "title": _("Appeals overturned"),
                        "kind": "bars-alt",
                        "chart": series_chart(list(zip(label, overturned, strict=True))),
                        "last": f"{overturned[-1]:,}",
                    },
                ],
                "segments": [
                    {
                        "name": row.segment or GENERAL_SEGMENT,
                        "evaluated": row.evaluated,
                        "adverse_share": _percent(row.adverse_share or 0.0),
                        "reasons": sorted(row.reasons.items(), key=lambda kv: -kv[1])[:3],
                        "knockouts": sorted(row.knockouts.items(), key=lambda kv: -kv[1])[:3],
                        "drift": row.drift,
                        "appeals": (row.appeals_opened, row.appeals_overturned),
                    }
                    for row in latest
                ],
            }
        )
    return panels


@admin.register(MonitoringDay)
class MonitoringDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "scorecard", "policy", "segment", "evaluated", "adverse", "drift")

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)
        since = timezone.localdate() - timedelta(days=DAYS_SHOWN)
        days = (
            MonitoringDay.objects.filter(day__gte=since)
            .select_related("scorecard", "policy")
            .order_by("day", "segment")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Monitoring"),
            "panels": version_panels(days),
            "alerts": MonitoringAlert.objects.filter(day__gte=since)[:20],
            "days_shown": DAYS_SHOWN,
        }
        return TemplateResponse(request, "admin/credit/monitoring.html", context)


@admin.register(MonitoringAlert)
class MonitoringAlertAdmin(ReadOnlyAdmin):
    list_display = ("day", "kind", "subject", "value", "low", "high", "created_at")
    list_filter = ("kind",)
    date_hierarchy = "day"
