"""Shadow runs: pick the versions to try, start, watch the progress bar, read what would
change (from → to, the reasons that drive it, per segment, a sample). Nothing is applied."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import DecisionPolicy, Scorecard, ShadowRun, ShadowState, VersionStatus
from ..previews import shadow_report
from ..services.shadow import NO_ACTIVE_OUTCOME
from .runs import RunAdmin, ServiceCheckedForm

OUTCOME_LABELS = {
    "keep": _("Kept"),
    "reduce_limit": _("Limit reduced"),
    "freeze": _("Paused"),
    "close": _("Closed"),
    NO_ACTIVE_OUTCOME: _("No active version"),
}
GENERAL_SEGMENT = _("General rules")


def outcome_label(outcome: str):
    return OUTCOME_LABELS.get(outcome, outcome)


class ShadowRunForm(ServiceCheckedForm, forms.ModelForm):
    service_check = staticmethod(lambda run: services.shadow_clean(run))

    class Meta:
        model = ShadowRun
        fields = ("name", "scorecard", "policy", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        live = (VersionStatus.DRAFT, VersionStatus.ACTIVE)
        for name, model in (("scorecard", Scorecard), ("policy", DecisionPolicy)):
            if name in self.fields:  # absent once started (read-only)
                self.fields[name].queryset = model.objects.filter(status__in=live)
                self.fields[name].help_text = _("A draft to try, or the active one to keep.")


@admin.register(ShadowRun)
class ShadowRunAdmin(RunAdmin):
    form = ShadowRunForm
    run_permission = "credit.run_shadowrun"
    acts = ("start", "cancel", "resume", "retry")
    change_form_template = "admin/credit/shadow_change_form.html"
    list_display = (
        "name",
        "scorecard",
        "policy",
        "state",
        "progress_display",
        "created_by",
        "finished_at",
    )
    list_filter = ("state",)
    search_fields = ("name", "note")
    readonly_fields = (
        "state",
        "lines_total",
        "lines_done",
        "baseline_scorecard",
        "baseline_policy",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "failed_at",
        "error",
    )

    def get_fieldsets(self, request, obj=None):
        run = ["state", "lines_total", "lines_done", "created_by", "created_at"]
        if obj is not None and obj.state != ShadowState.DRAFT:
            run += ["baseline_scorecard", "baseline_policy", "started_at", "finished_at"]
        if obj is not None and obj.failed_at:
            run += ["failed_at", "error"]
        return [
            (_("Versions to try"), {"fields": ["name", "scorecard", "policy", "note"]}),
            (_("Run"), {"fields": run}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("state", "lines_total", "lines_done", "created_by", "created_at")
        return self.readonly_fields

    def get_changeform_initial_data(self, request):
        """From a version's page (?scorecard= or ?policy=): the other side is the active one."""
        initial = super().get_changeform_initial_data(request)
        for field, model in (("scorecard", Scorecard), ("policy", DecisionPolicy)):
            if field not in initial:
                active = model.objects.filter(status=VersionStatus.ACTIVE).first()
                if active is not None:
                    initial[field] = active.pk
        return initial

    def save_model(self, request, obj, form, change):
        services.shadow_save_draft(run=obj, actor=request.user)

    def panel(self, request, run) -> dict:
        panel = {"shadow": run}
        if run.state == ShadowState.DRAFT:
            return panel
        report = shadow_report(run)
        panel["report"] = report
        panel["transitions"] = [
            (outcome_label(now), outcome_label(tried), n)
            for (now, tried), n in report.transitions.items()
        ]
        panel["reasons"] = list(report.reasons.items())
        panel["segments"] = [
            (
                segment or GENERAL_SEGMENT,
                [(outcome_label(a), outcome_label(b), n) for (a, b), n in changes.items()],
                sum(changes.values()),
            )
            for segment, changes in report.by_segment.items()
        ]
        panel["sample"] = [
            (row, outcome_label(row.current), outcome_label(row.would)) for row in report.sample
        ]
        return panel

    def start_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda r: services.shadow_start(run=r, actor=request.user),
            _("Shadow run “%(name)s” started on %(count)s lines. Nothing is applied."),
        )

    def cancel_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda r: services.shadow_cancel(run=r, actor=request.user) and 0,
            _("Shadow run “%(name)s” cancelled."),
        )

    def resume_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda r: services.shadow_resume(run=r),
            _("Shadow run “%(name)s” resumed where it stopped."),
        )

    def retry_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda r: services.shadow_run_retry(run=r, actor=request.user),
            _("Shadow run “%(name)s” runs again from where it failed: %(count)s lines to go."),
        )
