"""Policy campaigns: draft, preview, start, watch the progress, cancel, lift, resume.

Every button calls a service; the page refreshes itself while a run is in progress (a meta
refresh: no script, so the content security policy stays strict).
"""

from django import forms
from django.contrib import admin
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .. import services
from ..engine import campaigns as campaign_rules
from ..models import CampaignLineState, CampaignState, CreditLineStatus, PolicyCampaign
from ..previews import campaign_preview, campaign_progress
from ..services import breaker
from .runs import RunAdmin, ServiceCheckedForm

TENURE_BAND_LABELS = {
    "under_6_months": _("Under 6 months"),
    "6_to_24_months": _("6 to 24 months"),
    "24_months_or_more": _("24 months or more"),
}
OUTCOME_LABELS = {
    "freeze": _("Paused"),
    "reduce_limit": _("Limit reduced"),
    "schedule_closure": _("Closure scheduled"),
    "reinstate": _("Restored"),
    campaign_rules.SKIPPED: _("Skipped (status out of reach)"),
}


class CampaignForm(ServiceCheckedForm, forms.ModelForm):
    service_check = staticmethod(lambda campaign: services.campaign_clean(campaign))

    statuses = forms.MultipleChoiceField(
        label=_("line statuses"),
        choices=CreditLineStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every status the action applies to."),
    )

    class Meta:
        model = PolicyCampaign
        fields = (
            "name",
            "action",
            "reduce_percent",
            "reason_code",
            "notice_days",
            "ends_on",
            "note",
            "statuses",
            "min_tenure_months",
            "max_tenure_months",
            "min_limit",
            "max_limit",
        )
        widgets = {"ends_on": forms.DateInput(attrs={"type": "date"})}


@admin.register(PolicyCampaign)
class PolicyCampaignAdmin(RunAdmin):
    form = CampaignForm
    run_permission = "credit.run_policycampaign"
    acts = ("start", "cancel", "lift", "resume", "release", "discard", "retry")
    change_form_template = "admin/credit/campaign_change_form.html"
    list_display = (
        "name",
        "action",
        "state",
        "progress_display",
        "ends_on",
        "created_by",
        "started_at",
    )
    list_filter = ("state", "action")
    search_fields = ("name", "note")
    readonly_fields = (
        "state",
        "lines_total",
        "lines_done",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "lifted_at",
        "lifted_by",
        "held_because",
        "reviewed_by",
        "reviewed_at",
        "failed_at",
        "failed_first_line_id",
        "error",
    )

    def get_fieldsets(self, request, obj=None):
        lifecycle = ["state", "lines_total", "lines_done", "created_by", "created_at"]
        if obj is not None and obj.state != CampaignState.DRAFT:
            lifecycle += ["started_at", "finished_at", "lifted_at", "lifted_by"]
            lifecycle += ["reviewed_by", "reviewed_at"]
        if obj is not None and obj.failed_at:
            lifecycle += ["failed_at", "failed_first_line_id", "error"]
        return [
            (None, {"fields": ["name", "action", "reduce_percent", "reason_code"]}),
            (_("Notice and end"), {"fields": ["notice_days", "ends_on", "note"]}),
            (
                _("Segment"),
                {
                    "fields": [
                        "statuses",
                        ("min_tenure_months", "max_tenure_months"),
                        ("min_limit", "max_limit"),
                    ]
                },
            ),
            (_("Run"), {"fields": lifecycle}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("state", "lines_total", "lines_done", "created_by", "created_at")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        services.campaign_save_draft(campaign=obj, actor=request.user)

    def panel(self, request, campaign) -> dict:
        panel = {"campaign": campaign}
        if campaign.state == CampaignState.DRAFT:
            preview = campaign_preview(campaign)
            bands = [band for _, band in campaign_rules.TENURE_BANDS if band in preview.by_band]
            outcomes = sorted(preview.by_outcome, key=lambda o: o == campaign_rules.SKIPPED)
            panel["preview"] = preview
            panel["preview_outcomes"] = [
                (OUTCOME_LABELS[o], preview.by_outcome[o]) for o in outcomes
            ]
            panel["preview_columns"] = [OUTCOME_LABELS[o] for o in outcomes]
            panel["preview_rows"] = [
                (
                    TENURE_BAND_LABELS[band],
                    [preview.by_band_and_outcome.get((band, o), 0) for o in outcomes],
                    preview.by_band[band],
                )
                for band in bands
            ]
        else:
            if campaign.held_because:
                texts = breaker.HELD_BECAUSE[campaign.held_because]
                panel["held_because"] = texts["en" if get_language() == "en" else "zh-hans"]
            counts = campaign_progress(campaign)
            panel["progress_counts"] = [
                (label, counts.get(value, 0))
                for value, label in CampaignLineState.choices
                if counts.get(value)
            ]
        return panel

    def start_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.campaign_start(campaign=c, actor=request.user),
            _("Campaign “%(name)s” started on %(count)s lines."),
        )

    def cancel_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.campaign_cancel(campaign=c, actor=request.user) and 0,
            _("Campaign “%(name)s” cancelled; lines still waiting will not be changed."),
        )

    def lift_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.campaign_lift(campaign=c, actor=request.user),
            _("Lifting “%(name)s”: %(count)s lines to restore."),
        )

    def resume_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.campaign_resume(campaign=c),
            _("Campaign “%(name)s” resumed where it stopped."),
        )

    def retry_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.campaign_retry(campaign=c, actor=request.user),
            _("Campaign “%(name)s” runs again from where it failed: %(count)s lines to go."),
        )

    def release_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.campaign_release(campaign=c, actor=request.user),
            _("Campaign “%(name)s” released: %(count)s lines will change and be told."),
        )

    def discard_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.campaign_discard(campaign=c, actor=request.user),
            _("Campaign “%(name)s” discarded: no line changed."),
        )
