"""The staff desk: the appeal queue, the case page, and the desk's reference data.

The admin writes nothing itself: every button and action calls `appeals.services`, which
check the role again. `FSMAdminMixin` is not used: every appeal transition has side effects
(a log row, notices, credit changes), so each is a POST form calling its service.
"""

from __future__ import annotations

import re
from datetime import timedelta

from csp.constants import SELF
from csp.decorators import csp_update
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin

from credit.models import DecisionReason, ReasonCategory

from . import desk, desk_selectors, services
from .evidence import private_storage
from .models import (
    OPEN_STATES,
    AgentAvailability,
    Appeal,
    AppealAssignment,
    AppealExtension,
    AppealStatus,
    CalendarDay,
    CannedResponse,
    Evidence,
    MessageKind,
    SlaBreach,
    Survey,
)

S = AppealStatus
WORKED_STATES = [S.SUBMITTED, S.IN_REVIEW, S.AWAITING_BORROWER, S.SECOND_REVIEW]


class StaleAppeal(Exception):
    pass


# --- queue: filters, search, a paginator that never counts the whole table --------------------


class CappedCountPaginator(Paginator):
    """Counts at most CAP + 1 matching rows (a LIMITed subquery), never the whole table."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


class QueueFilter(admin.SimpleListFilter):
    title = gettext_lazy("queue")
    parameter_name = "queue"
    DEFAULT = "open"

    def __init__(self, request, params, model, model_admin):
        self.request = request
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [
            ("open", _("Being worked")),
            ("mine", _("Assigned to me")),
            ("awaiting", _("Awaiting borrower")),
            ("breached", _("Breached (overdue)")),
            ("unassigned", _("Unassigned")),
            ("closed", _("Closed")),
            ("all", _("All appeals")),
        ]

    def _effective(self, request) -> str:
        if self.value():
            return self.value()
        # Filtering by state by itself looks at every appeal in that state.
        return "all" if "status__exact" in request.GET else self.DEFAULT

    def choices(self, changelist):
        current = self._effective(self.request)
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}, ["p"]),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self._effective(request)
        now = timezone.now()
        if value == "open":
            return queryset.filter(status__in=WORKED_STATES)
        if value == "mine":
            return queryset.filter(assignee=request.user, status__in=WORKED_STATES)
        if value == "awaiting":
            return queryset.filter(status=S.AWAITING_BORROWER)
        if value == "breached":
            return queryset.filter(desk_selectors.breached_q(now))
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True, status__in=WORKED_STATES)
        if value == "closed":
            return queryset.exclude(status__in=[s.value for s in OPEN_STATES])
        return queryset.exclude(status=S.DRAFT)


class ReasonCategoryFilter(admin.SimpleListFilter):
    title = gettext_lazy("reason category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return ReasonCategory.choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(
                DecisionReason.objects.filter(
                    decision_id=OuterRef("decision_id"), reason_code__category=self.value()
                )
            )
        )


PHONE_RE = re.compile(r"^\+?[\d\s-]{7,20}$")
REFERENCE_RE = re.compile(r"^(?:A-\d{4}-)?0*(\d{1,12})$", re.IGNORECASE)


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return ngettext("%(n)s day", "%(n)s days", hours // 24) % {"n": hours // 24}
    if hours >= 1:
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    minutes = max(1, int(delta.total_seconds() // 60))
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


def due_cell(due, *, done_at=None, paused=False, closed=False, now=None):
    """A due time in words: overdue is red *and* says "Overdue by …" (not colour alone)."""
    if due is None:
        return "—"
    now = now or timezone.now()
    if done_at is not None:
        return format_html(
            '<span class="desk-due desk-done">{}<br>{}</span>', _("Answered"), _when(done_at)
        )
    if closed:
        return format_html('<span class="desk-due desk-quiet">{}</span>', _when(due))
    if paused:
        return format_html(
            '<span class="desk-due desk-paused">{}<br>{}</span>',
            _("Paused: waiting for the borrower"),
            _when(due),
        )
    if due < now:
        return format_html(
            '<span class="desk-due desk-overdue">{}<br>{}</span>',
            _("Overdue by %(time)s") % {"time": _duration(now - due)},
            _when(due),
        )
    soon = due - now < timedelta(hours=24)
    return format_html(
        '<span class="desk-due {}">{}<br>{}</span>',
        "desk-soon" if soon else "",
        _("Due in %(time)s") % {"time": _duration(due - now)},
        _when(due),
    )


def state_chip(appeal: Appeal):
    return format_html(
        '<span class="desk-state desk-state-{}">{}</span>',
        appeal.status,
        appeal.get_status_display(),
    )


# --- the appeal admin ----------------------------------------------------------------------


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = (
        "reference_col",
        "state_col",
        "grounds_col",
        "category_col",
        "assignee_col",
        "first_response_col",
        "resolution_col",
    )
    list_display_links = ("reference_col",)
    list_filter = (QueueFilter, "status", ReasonCategoryFilter)
    search_fields = ("borrower__customer_id",)  # the box; the lookups are exact, see below
    search_help_text = gettext_lazy(
        "Search by appeal (A-2026-000123 or 123), customer ID, phone or email."
    )
    list_select_related = ("borrower", "assignee")
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    ordering = ("resolution_due", "first_response_due")
    actions = ["reassign_selected"]

    class Media:
        css = {"all": ("appeals/desk.css",)}

    # --- permissions: staff read; nothing is added, edited or deleted through forms ---

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reassign_permission(self, request):
        return request.user.has_perm("appeals.reassign_appeal")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- queue ---

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            qs = qs.prefetch_related("decision__reasons__reason_code")
        return qs

    def get_search_results(self, request, queryset, search_term):
        """Exact, indexed lookups: an appeal reference or id, an email, a phone number
        (E.164, or 11 mainland digits), or a customer ID."""
        term = search_term.strip()
        if not term:
            return queryset, False
        digits = re.sub(r"[\s-]", "", term)
        if "@" in term:
            return queryset.filter(borrower__email__iexact=term), False
        if PHONE_RE.match(term) and len(digits.lstrip("+")) >= 11:
            phone = digits if digits.startswith("+") else f"+86{digits}"
            return queryset.filter(borrower__phone=phone), False
        match = REFERENCE_RE.match(term)
        if match:
            return queryset.filter(pk=int(match.group(1))), False
        return queryset.filter(borrower__customer_id=term), False

    @admin.display(description=gettext_lazy("appeal"), ordering="id")
    def reference_col(self, obj):
        return format_html(
            "<strong class='desk-ref'>{}</strong><br><span class='desk-quiet'>{} · {}</span>",
            obj.reference,
            obj.borrower.full_name,
            obj.borrower.customer_id or "—",
        )

    @admin.display(description=gettext_lazy("state"), ordering="status")
    def state_col(self, obj):
        return state_chip(obj)

    @admin.display(description=gettext_lazy("reason for appeal"))
    def grounds_col(self, obj):
        return ", ".join(obj.grounds_display()) or "—"

    @admin.display(description=gettext_lazy("reason category"))
    def category_col(self, obj):
        reasons = sorted(obj.decision.reasons.all(), key=lambda r: r.rank)
        labels = dict(ReasonCategory.choices)
        seen = list(dict.fromkeys(r.reason_code.category for r in reasons))
        return ", ".join(str(labels.get(c, c)) for c in seen) or "—"

    @admin.display(description=gettext_lazy("assignee"), ordering="assignee__full_name")
    def assignee_col(self, obj):
        if obj.assignee is None:
            return format_html('<span class="desk-unassigned">{}</span>', _("Unassigned"))
        return obj.assignee.full_name

    @admin.display(description=gettext_lazy("reply expected by"), ordering="first_response_due")
    def first_response_col(self, obj):
        return due_cell(
            obj.first_response_due,
            done_at=obj.first_responded_at,
            paused=obj.status == S.AWAITING_BORROWER,
            closed=obj.status not in WORKED_STATES,
        )

    @admin.display(description=gettext_lazy("decision expected by"), ordering="resolution_due")
    def resolution_col(self, obj):
        return due_cell(
            obj.resolution_due,
            paused=obj.status == S.AWAITING_BORROWER,
            closed=obj.status not in WORKED_STATES,
        )

    # --- bulk reassign (supervisors) ---

    @admin.action(
        description=gettext_lazy("Reassign the selected appeals"), permissions=["reassign"]
    )
    def reassign_selected(self, request, queryset):
        form_class = _bulk_reassign_form()
        if "apply" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                done, refused = 0, []
                for appeal in queryset.select_related("assignee"):
                    try:
                        services.appeal_reassign(
                            appeal=appeal,
                            actor=request.user,
                            assignee=form.cleaned_data["assignee"],
                            reason=form.cleaned_data["reason"],
                        )
                        done += 1
                    except (ValidationError, PermissionDenied) as exc:
                        refused.append(f"{appeal.reference}: {_error_text(exc)}")
                if done:
                    self.message_user(
                        request,
                        ngettext("%(n)s appeal reassigned.", "%(n)s appeals reassigned.", done)
                        % {"n": done},
                        messages.SUCCESS,
                    )
                for line in refused:
                    self.message_user(request, line, messages.WARNING)
                return None
        else:
            form = form_class()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reassign appeals"),
            "appeals": queryset.select_related("borrower", "assignee")[:200],
            "form": form,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/appeals/appeal/reassign.html", context)

    # --- the case page ---

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/act/<slug:action>/",
                view(self.act_view),
                name="appeals_appeal_act",
            ),
            path(
                "<int:object_id>/evidence/<int:evidence_id>/preview/",
                view(self.evidence_preview_view),
                name="appeals_appeal_evidence_preview",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            appeal = desk_selectors.appeal_get_for_staff(appeal_id=int(object_id))
        except (Appeal.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        return self._render_case(request, appeal)

    def _render_case(self, request, appeal, *, bound=None, status=200):
        user = request.user
        seen = desk.state_token(appeal)
        language = appeal.borrower.preferred_language or "zh-hans"
        canned = list(desk_selectors.canned_responses())
        prefill = ""
        canned_id = request.GET.get("canned")
        if canned_id and canned_id.isdigit():
            chosen = next((c for c in canned if c.pk == int(canned_id)), None)
            prefill = chosen.body_for(language) if chosen else ""
        panels = []
        for action in desk.actions_for(user, appeal):
            if bound and bound[0] == action.name:
                form = bound[1]
            else:
                initial = {"seen": seen}
                if action.name == "message" and prefill:
                    initial["comment"] = prefill
                form = action.form(initial=initial, prefix=action.name)
            panels.append({"action": action, "form": form})
        reasons = sorted(appeal.decision.reasons.all(), key=lambda r: r.rank)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": appeal.reference,
            "subtitle": None,
            "appeal": appeal,
            "state": state_chip(appeal),
            "borrower": appeal.borrower,
            "line": appeal.line,
            "decision": appeal.decision,
            "reasons": reasons,
            "features": sorted((appeal.decision.features or {}).items()),
            "evidence": [
                {
                    "item": e,
                    "is_image": e.content_type.startswith("image/"),
                    "preview": reverse(
                        "admin:appeals_appeal_evidence_preview", args=[appeal.pk, e.pk]
                    ),
                    "download": reverse("appeals:evidence", args=[appeal.pk, e.pk]),
                }
                for e in appeal.evidence.all()
            ],
            "thread": [
                {"message": m, "internal": m.kind == MessageKind.INTERNAL}
                for m in appeal.messages.all()
            ],
            "timeline": desk_selectors.staff_timeline(appeal),
            "panels": panels,
            "canned": canned,
            "borrower_language": language,
            "first_response": due_cell(
                appeal.first_response_due,
                done_at=appeal.first_responded_at,
                paused=appeal.status == S.AWAITING_BORROWER,
                closed=appeal.status not in WORKED_STATES,
            ),
            "resolution": due_cell(
                appeal.resolution_due,
                paused=appeal.status == S.AWAITING_BORROWER,
                closed=appeal.status not in WORKED_STATES,
            ),
            "read_only": not panels,
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/appeals/appeal/case.html", context, status=status)

    def act_view(self, request, object_id, action):
        """One button: parse its form, check the page was not stale (under the row lock),
        call the service. A refusal changes nothing and says why."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        spec = desk.ACTIONS.get(action)
        if spec is None or not self.has_view_permission(request):
            raise Http404
        case_url = reverse("admin:appeals_appeal_change", args=[object_id])
        form = spec.form(request.POST, prefix=spec.name)
        if not form.is_valid():
            appeal = desk_selectors.appeal_get_for_staff(appeal_id=object_id)
            messages.error(request, _("Please correct the errors below."))
            return self._render_case(request, appeal, bound=(spec.name, form), status=400)
        try:
            with transaction.atomic():
                locked = Appeal.objects.select_for_update(of=("self",)).get(pk=object_id)
                if spec.guarded and desk.state_token(locked) != form.cleaned_data["seen"]:
                    raise StaleAppeal
                spec.call(appeal=locked, actor=request.user, data=form.cleaned_data)
        except Appeal.DoesNotExist as exc:
            raise Http404 from exc
        except StaleAppeal:
            messages.warning(request, self._stale_message(object_id))
            return redirect(case_url)
        except PermissionDenied as exc:
            messages.error(request, _error_text(exc) or _("Your role does not allow this."))
            return redirect(case_url)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
            return redirect(case_url)
        messages.success(request, spec.done)
        return redirect(case_url)

    def _stale_message(self, object_id) -> str:
        appeal = Appeal.objects.get(pk=object_id)
        last = appeal.transitions.select_related("actor").order_by("-at", "-id").first()
        who = last.actor.full_name if last and last.actor else _("someone else")
        return _(
            "Someone else already changed this appeal while you had it open: it is now "
            "“%(state)s” (last change by %(who)s). Nothing was changed; here is the current "
            "state."
        ) % {"state": appeal.get_status_display(), "who": who}

    @csp_update({"frame-ancestors": [SELF]})
    @xframe_options_sameorigin
    def _preview_response(self, item: Evidence):
        from django.http import FileResponse

        response = FileResponse(
            private_storage().open(item.stored_name, "rb"),
            as_attachment=False,
            filename=item.original_name,
            content_type=item.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def evidence_preview_view(self, request, object_id, evidence_id):
        """A supporting document shown inline in the case page: staff who may view evidence
        only; downloads go through the borrower-facing permission-checked view."""
        if not request.user.has_perm("appeals.view_evidence"):
            raise PermissionDenied
        try:
            item = Evidence.objects.get(pk=evidence_id, appeal_id=object_id)
        except Evidence.DoesNotExist as exc:
            raise Http404 from exc
        try:
            return self._preview_response(item)
        except FileNotFoundError as exc:  # the row outlived its file: say "not found"
            raise Http404 from exc


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _bulk_reassign_form():
    from django import forms

    from .desk_selectors import people_who_can_work

    class BulkReassignForm(forms.Form):
        assignee = forms.ModelChoiceField(
            label=_("Give to"), queryset=people_who_can_work(), required=True
        )
        reason = forms.CharField(
            label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
        )

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["assignee"].label_from_instance = lambda u: f"{u.full_name} <{u.email}>"

    return BulkReassignForm


# --- reference data and logs ---------------------------------------------------------------


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


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("title", "body_zh", "body_en")
    fields = ("title", "body_zh", "body_en", "active")

    def save_model(self, request, obj, form, change):
        services.canned_response_save(response=obj)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgentAvailability)
class AgentAvailabilityAdmin(admin.ModelAdmin):
    """Who takes new appeals. Supervisors add or change a row (saved by the service)."""

    list_display = ("agent", "away", "note", "updated_at")
    list_filter = ("away",)
    list_select_related = ("agent",)
    fields = ("agent", "away", "note")
    actions = ["mark_away", "mark_back"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agent":
            kwargs["queryset"] = desk_selectors.people_who_can_work()
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
