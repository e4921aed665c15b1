"""The appeals report in the admin: the page a supervisor checks every morning (supervisors
and auditors; read-only). The figures come from `appeals.selectors.reports`; the charts are
inline SVG placed by `credit.charts`, no script."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credit.charts import series_chart

from ..models import AppealReportPage
from ..selectors.reports import appeal_report

DEFAULT_DAYS = 30
MAX_DAYS = 366


class ReportRangeForm(forms.Form):
    since = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until:
            if since > until:
                raise forms.ValidationError(_("The first day must not be after the last day."))
            if (until - since).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return data


def default_range() -> tuple:
    today = timezone.localdate()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def _duration(value: timedelta | None) -> str:
    """A median as staff read it: '3 h 20 min', '2 d 4 h'."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


@admin.register(AppealReportPage)
class AppealReportAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        since, until = default_range()
        form = ReportRangeForm(request.GET or None, initial={"since": since, "until": until})
        if form.is_bound and form.is_valid():
            since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        report = appeal_report(since=since, until=until)
        labels = [d.day.strftime("%m-%d") for d in report.days]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Appeals report"),
            "form": form,
            "report": report,
            "charts": [
                {
                    "title": _("Appeals opened"),
                    "kind": "bars",
                    "chart": series_chart(
                        list(zip(labels, [d.opened for d in report.days], strict=True)),
                        width=520,
                    ),
                    "total": report.opened,
                },
                {
                    "title": _("Appeals resolved"),
                    "kind": "bars-alt",
                    "chart": series_chart(
                        list(zip(labels, [d.resolved for d in report.days], strict=True)),
                        width=520,
                    ),
                    "total": report.resolved,
                },
            ],
            "first_response_share": _percent(report.first_response_share),
            "resolution_share": _percent(report.resolution_share),
            "median_first_response": _duration(report.median_first_response),
            "median_resolution": _duration(report.median_resolution),
            "overturn_rate": _percent(report.overturn_rate),
            "tables": [
                (_("By reason code"), report.by_reason),
                (_("By scorecard and policy version"), report.by_version),
                (_("By campaign"), report.by_campaign),
                (_("By segment"), report.by_segment),
            ],
            "percent": _percent,
        }
        return TemplateResponse(request, "admin/appeals/reports/report.html", context)
