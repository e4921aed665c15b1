"""Registers appeals' models in the admin. The staff desk's screens (queue, case page,
actions) live in `appeals.desk`; every write goes through `appeals.services`, which check
the role again. `FSMAdminMixin` is not used: every appeal transition has side effects (a log
row, notices, credit changes), so each is a POST form calling its service.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.exports import AuditedExportMixin

from . import services
from .desk.availability import SelfAvailabilityMixin, my_availability
from .desk.case import CaseAdminMixin
from .desk.lessons import LESSONS_PERMISSION, LessonsAdminMixin
from .desk.queue import CappedCountPaginator, QueueAdminMixin
from .desk.reports import AppealReportAdmin
from .models import (
    AgentAvailability,
    Appeal,
    AppealAssignment,
    AppealExtension,
    CalendarDay,
    CannedResponse,
    SlaBreach,
    SupportMessage,
    SupportRequest,
    Survey,
)
from .selectors import people_who_can_work

__all__ = ["AppealAdmin", "AppealReportAdmin", "CappedCountPaginator"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Days off and make-up working days for the business-day clock (supervisors edit)."""

    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    ordering = ("-date",)

    def save_model(self, request, obj, form, change):
        saved = services.calendar_day_set(day=obj.date, kind=obj.kind, name=obj.name)
        obj.pk = saved.pk


class CannedResponseForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ("title", "action", "body_zh", "body_en", "active")

    def clean(self):
        data = super().clean()
        try:
            services.canned_response_check(
                body_zh=data.get("body_zh", ""), body_en=data.get("body_en", "")
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    form = CannedResponseForm
    list_display = ("title", "action", "active", "updated_at")
    list_filter = ("action", "active")
    search_fields = ("title", "body_zh", "body_en")
    fields = ("title", "action", "body_zh", "body_en", "active")

    def save_model(self, request, obj, form, change):
        services.canned_response_save(response=obj)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _iso(moment) -> str:
    return moment.isoformat() if moment else ""


@admin.register(Appeal)
class AppealAdmin(
    AuditedExportMixin, LessonsAdminMixin, CaseAdminMixin, QueueAdminMixin, _ReadOnly
):
    """Staff read appeals; nothing is added, edited or deleted through forms. Auditors export
    the list as it is filtered (audited); no contact details are in the file."""

    export_permission = "appeals.export_appeal"
    export_name = "appeals"
    export_columns = (
        ("reference", lambda a: a.reference),
        ("status", lambda a: a.status),
        ("customer_id", lambda a: a.borrower.customer_id or ""),
        ("line", lambda a: a.line_id),
        ("decision_appealed", lambda a: a.decision_id),
        ("grounds", lambda a: " ".join(a.grounds or [])),
        ("created_at", lambda a: _iso(a.created_at)),
        ("submitted_at", lambda a: _iso(a.submitted_at)),
        ("first_response_due", lambda a: _iso(a.first_response_due)),
        ("first_responded_at", lambda a: _iso(a.first_responded_at)),
        ("resolution_due", lambda a: _iso(a.resolution_due)),
        ("decided_at", lambda a: _iso(a.decided_at)),
        ("decided_by", lambda a: str(a.decided_by) if a.decided_by_id else ""),
        ("granted_limit", lambda a: a.granted_limit if a.granted_limit is not None else ""),
        ("second_decided_at", lambda a: _iso(a.second_decided_at)),
        ("closed_at", lambda a: _iso(a.closed_at)),
        ("assignee", lambda a: str(a.assignee) if a.assignee_id else ""),
    )

    def export_queryset(self, request):
        return super().export_queryset(request).select_related("decided_by")

    class Media:
        css = {"all": ("appeals/desk.css",)}

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "my_availability": my_availability(request),
            "lessons_url": reverse("admin:appeals_appeal_lessons")
            if request.user.has_perm(LESSONS_PERMISSION)
            else None,
        }
        return super().changelist_view(request, extra_context)


@admin.register(AgentAvailability)
class AgentAvailabilityAdmin(SelfAvailabilityMixin, admin.ModelAdmin):
    """Who takes new appeals. Supervisors add or change a row (saved by the service)."""

    list_display = ("agent", "away", "note", "updated_at")
    list_filter = ("away",)
    list_select_related = ("agent",)
    fields = ("agent", "away", "note")
    actions = ["mark_away", "mark_back"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agent":
            kwargs["queryset"] = people_who_can_work()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return request.user.has_perm("appeals.set_agent_away")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("appeals.set_agent_away")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = services.agent_set_away(
            agent=obj.agent, away=obj.away, actor=request.user, note=obj.note
        )
        obj.pk = saved.pk

    def has_set_away_permission(self, request):
        return request.user.has_perm("appeals.set_agent_away")

    def _set(self, request, queryset, away: bool):
        for row in queryset.select_related("agent"):
            services.agent_set_away(agent=row.agent, away=away, actor=request.user)
        self.message_user(request, _("Saved."), messages.SUCCESS)

    @admin.action(description=gettext_lazy("Mark away (no new appeals)"), permissions=["set_away"])
    def mark_away(self, request, queryset):
        self._set(request, queryset, True)

    @admin.action(description=gettext_lazy("Mark available"), permissions=["set_away"])
    def mark_back(self, request, queryset):
        self._set(request, queryset, False)


@admin.register(AppealAssignment)
class AppealAssignmentAdmin(_ReadOnly):
    list_display = ("appeal", "from_assignee", "to_assignee", "actor", "at", "reason")
    list_select_related = ("appeal", "from_assignee", "to_assignee", "actor")
    show_full_result_count = False


@admin.register(AppealExtension)
class AppealExtensionAdmin(_ReadOnly):
    list_display = ("appeal", "step", "days_added", "actor", "at", "resolution_due_after")
    list_select_related = ("appeal", "actor")


@admin.register(SlaBreach)
class SlaBreachAdmin(_ReadOnly):
    list_display = ("appeal", "clock", "due", "detected_at")
    list_filter = ("clock",)
    list_select_related = ("appeal",)
    show_full_result_count = False


@admin.register(Survey)
class SurveyAdmin(_ReadOnly):
    list_display = ("appeal", "rating", "submitted_at")
    readonly_fields = ("appeal", "rating", "comment", "submitted_at")


class SupportMessageInline(admin.TabularInline):
    """The thread, oldest first: read-only (the desk answers through the form below it)."""

    model = SupportMessage
    fields = ("created_at", "from_staff", "author", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SupportAnswerForm(forms.ModelForm):
    """The desk's answer: a public reply (the borrower is told), and/or closing the request."""

    reply = forms.CharField(
        label=gettext_lazy("Reply to the borrower"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
        help_text=gettext_lazy("The borrower sees it in the thread and is told by message."),
    )
    close = forms.BooleanField(label=gettext_lazy("Close this request"), required=False)

    class Meta:
        model = SupportRequest
        fields = ()

    def clean(self):
        data = super().clean()
        if not data.get("reply", "").strip() and not data.get("close"):
            raise ValidationError(_("Write a reply, or tick “Close this request”, or both."))
        return data


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    """Support requests: a plain thread (no appeal state machine). Staff with
    `answer_supportrequest` reply and close; every write goes through `appeals.services`."""

    form = SupportAnswerForm
    list_display = ("reference", "subject", "borrower", "status", "updated_at")
    list_filter = ("status",)
    search_fields = ("subject", "borrower__email", "borrower__customer_id")
    list_select_related = ("borrower",)
    ordering = ("-updated_at",)
    readonly_fields = (
        "reference",
        "borrower",
        "subject",
        "decision",
        "status",
        "created_at",
        "closed_at",
        "closed_by",
    )
    fieldsets = (
        (None, {"fields": readonly_fields}),
        (gettext_lazy("Answer"), {"fields": ("reply", "close")}),
    )
    inlines = (SupportMessageInline,)
    actions = ("close_selected",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("appeals.answer_supportrequest")

    def get_fieldsets(self, request, obj=None):
        if not self.has_change_permission(request, obj):
            return ((None, {"fields": self.readonly_fields}),)
        return super().get_fieldsets(request, obj)

    def save_model(self, request, obj, form, change):
        reply = form.cleaned_data.get("reply", "").strip()
        close = form.cleaned_data.get("close")
        if reply:
            services.support_staff_reply(request=obj, actor=request.user, body=reply, close=close)
        elif close and obj.status != "closed":
            services.support_request_close(request=obj, actor=request.user)

    @admin.action(
        description=gettext_lazy("Close the selected support requests"), permissions=["change"]
    )
    def close_selected(self, request, queryset):
        closed = 0
        for support in queryset.exclude(status="closed"):
            services.support_request_close(request=support, actor=request.user)
            closed += 1
        self.message_user(
            request, _("%(n)s support requests closed.") % {"n": closed}, messages.SUCCESS
        )
