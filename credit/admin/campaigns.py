"""Policy campaigns: draft, preview, start, watch the progress, cancel, lift, resume.

Every button calls a service; the page refreshes itself while a run is in progress (a meta
refresh: no script, so the content security policy stays strict).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .. import services
from ..campaign_preview import campaign_preview, campaign_progress
from ..engine import campaigns as campaign_rules
from ..models import CampaignLineState, CampaignState, CreditLineStatus, PolicyCampaign

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


class CampaignForm(forms.ModelForm):
    """Parses the draft and runs the service's own check, so a form never saves what the
    service would refuse to start."""

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

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for name, value in cleaned.items():
                setattr(self.instance, name, value)
            try:
                services.campaign_clean(self.instance)
            except ValidationError as exc:
                for field, errors in exc.update_error_dict({}).items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(PolicyCampaign)
class PolicyCampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
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
    )

    class Media:
        css = {"all": ("credit/admin.css", "credit/campaigns.css")}

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != CampaignState.DRAFT:
            return False  # started: read-only; its buttons act through the services
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fieldsets(self, request, obj=None):
        lifecycle = ["state", "lines_total", "lines_done", "created_by", "created_at"]
        if obj is not None and obj.state != CampaignState.DRAFT:
            lifecycle += ["started_at", "finished_at", "lifted_at", "lifted_by"]
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

    @admin.display(description=_("progress"))
    def progress_display(self, obj):
        if obj.state == CampaignState.DRAFT:
            return "—"
        return format_html(
            '<progress class="credit-progress" max="100" value="{}">{}%</progress> {}%',
            obj.progress_percent,
            obj.progress_percent,
            obj.progress_percent,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if campaign is not None:
            extra.update(self._panel(request, campaign))
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _panel(self, request, campaign) -> dict:
        may_run = request.user.has_perm("credit.run_policycampaign")
        panel = {"campaign": campaign, "may_run": may_run}
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
            counts = campaign_progress(campaign)
            panel["progress_counts"] = [
                (label, counts.get(value, 0))
                for value, label in CampaignLineState.choices
                if counts.get(value)
            ]
        return panel

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        acts = ("start", "cancel", "lift", "resume")
        return [
            path(
                f"<int:pk>/{act}/",
                self.admin_site.admin_view(require_POST(getattr(self, f"{act}_view"))),
                name="{}_{}_{}".format(*info, act),
            )
            for act in acts
        ] + super().get_urls()

    def _act(self, request, pk, act, done_message):
        if not request.user.has_perm("credit.run_policycampaign"):
            raise PermissionDenied
        campaign = get_object_or_404(PolicyCampaign, pk=pk)
        try:
            result = act(campaign)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, done_message % {"count": result, "name": campaign.name})
        info = self.model._meta.app_label, self.model._meta.model_name
        return redirect(reverse("admin:{}_{}_change".format(*info), args=[pk]))

    def start_view(self, request, pk):
        return self._act(
            request,
            pk,
            lambda c: services.campaign_start(campaign=c, actor=request.user),
            _("Campaign “%(name)s” started on %(count)s lines."),
        )

    def cancel_view(self, request, pk):
        return self._act(
            request,
            pk,
            lambda c: services.campaign_cancel(campaign=c, actor=request.user) and 0,
            _("Campaign “%(name)s” cancelled; lines still waiting will not be changed."),
        )

    def lift_view(self, request, pk):
        return self._act(
            request,
            pk,
            lambda c: services.campaign_lift(campaign=c, actor=request.user),
            _("Lifting “%(name)s”: %(count)s lines to restore."),
        )

    def resume_view(self, request, pk):
        return self._act(
            request,
            pk,
            lambda c: services.campaign_resume(campaign=c),
            _("Campaign “%(name)s” resumed where it stopped."),
        )
