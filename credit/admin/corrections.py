"""System-error corrections: choose the erroneous decisions, preview, run, watch the progress."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import (
    CorrectionLineState,
    CorrectionState,
    DecisionOutcome,
    DecisionTrigger,
    SystemCorrection,
)
from ..previews import correction_preview, correction_progress
from .runs import RunAdmin, ServiceCheckedForm


class CorrectionForm(ServiceCheckedForm, forms.ModelForm):
    service_check = staticmethod(lambda correction: services.correction_clean(correction))
    trigger = forms.ChoiceField(
        label=_("trigger"), choices=[("", "—"), *DecisionTrigger.choices], required=False
    )

    class Meta:
        model = SystemCorrection
        fields = (
            "name",
            "note",
            "decided_from",
            "decided_to",
            "scorecard",
            "policy",
            "trigger",
            "reason_code",
            "event_source",
        )


@admin.register(SystemCorrection)
class SystemCorrectionAdmin(RunAdmin):
    form = CorrectionForm
    run_permission = "credit.run_systemcorrection"
    acts = ("start", "resume", "retry", "cancel")
    change_form_template = "admin/credit/correction_change_form.html"
    list_display = ("name", "state", "progress_display", "decided_from", "decided_to", "created_by")
    list_filter = ("state",)
    search_fields = ("name", "note")
    readonly_fields = (
        "state",
        "lines_total",
        "lines_done",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "failed_at",
        "error",
    )

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["name", "note"]}),
            (
                _("Which decisions were wrong"),
                {
                    "fields": [
                        ("decided_from", "decided_to"),
                        ("scorecard", "policy"),
                        "trigger",
                        "reason_code",
                        "event_source",
                    ]
                },
            ),
            (_("Run"), {"fields": self._run_fields(request, obj)}),
        ]

    def _run_fields(self, request, obj) -> list[str]:
        fields = list(self.get_readonly_fields(request, obj))
        if obj is None or not obj.failed_at:
            fields = [f for f in fields if f not in ("failed_at", "error")]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("state", "lines_total", "lines_done", "created_by", "created_at")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        services.correction_save_draft(correction=obj, actor=request.user)

    def panel(self, request, correction) -> dict:
        panel = {"correction": correction}
        if correction.state == CorrectionState.DRAFT:
            preview = correction_preview(correction)
            panel["preview"] = preview
            panel["preview_outcomes"] = [
                (DecisionOutcome(o).label, n) for o, n in sorted(preview.by_outcome.items())
            ]
            panel["preview_triggers"] = [
                (DecisionTrigger(t).label, n) for t, n in sorted(preview.by_trigger.items())
            ]
        else:
            counts = correction_progress(correction)
            panel["progress_counts"] = [
                (label, counts[value])
                for value, label in CorrectionLineState.choices
                if counts.get(value)
            ]
        return panel

    def start_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.correction_start(correction=c, actor=request.user),
            _("Correction “%(name)s” started on %(count)s lines."),
        )

    def resume_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.correction_resume(correction=c),
            _("Correction “%(name)s” resumed where it stopped."),
        )

    def retry_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.correction_retry(correction=c, actor=request.user),
            _("Correction “%(name)s” runs again from where it failed: %(count)s lines to go."),
        )

    def cancel_view(self, request, pk):
        return self.act(
            request,
            pk,
            lambda c: services.correction_cancel(correction=c, actor=request.user) and 0,
            _("Correction “%(name)s” cancelled."),
        )
