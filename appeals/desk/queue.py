"""The desk's queue: which appeals a person sees (being worked, mine, breached, ...), exact
indexed search, a paginator that never counts the whole table, and bulk reassignment."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from credit.models import DecisionReason, ReasonCategory

from .. import services
from ..models import (
    BEING_WORKED_STATES,
    OPEN_STATES,
    AppealStatus,
    appeal_id_from_reference,
)
from ..selectors import breached_q, people_who_can_work
from .presenters import error_text, first_response_cell, queue_state_cell, resolution_cell

S = AppealStatus
PHONE_RE = re.compile(r"^\+?[\d\s-]{7,20}$")


class CappedCountPaginator(Paginator):
    """Counts at most CAP + 1 matching rows (a LIMITed subquery), never the whole table."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


# The default order within each part of the queue (index appeal_queue_urgency_idx).
URGENCY_ORDER = (
    "reply_rank",
    F("resolution_due").asc(nulls_last=True),
    F("first_response_due").asc(nulls_last=True),
    "-pk",
)


class UrgencyPaginator(CappedCountPaginator):
    """The default order, read off indexes instead of sorting every appeal being worked.

    Most urgent first is: breached clocks (the longest overdue first), then a borrower's reply
    waiting, then the nearest decision and first-response due times. "Breached" depends on
    the time of the request, so no single stored column can hold that order; it is two index
    scans instead: the breached appeals by how long overdue (`clock_due < now`,
    appeal_queue_clock_idx), then the others (reply, due times, appeal_queue_urgency_idx),
    each sliced for the page asked for.
    A column sort chosen by the person (`tiered` False) pages the usual way."""

    tiered = False

    def page(self, number):
        if not self.tiered:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        now = timezone.now()
        base = self.object_list
        breached = base.filter(breached_q(now)).order_by("clock_due", *URGENCY_ORDER)
        # How many breached come before this page's end (counted no further than needed).
        ahead = breached.order_by()[:top].count()
        rows = list(breached[bottom:top]) if bottom < ahead else []
        if len(rows) < top - bottom:
            rest = base.filter(Q(clock_due__gte=now) | Q(clock_due__isnull=True))
            start = max(bottom - ahead, 0)
            rows += list(rest.order_by(*URGENCY_ORDER)[start : start + top - bottom - len(rows)])
        return self._get_page(rows, number, self)


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
            ("replied", _("Borrower replied")),
            ("ready", _("Ready for decision")),
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
        worked = list(BEING_WORKED_STATES)
        if value == "open":
            return queryset.filter(status__in=worked)
        if value == "mine":
            return queryset.filter(assignee=request.user, status__in=worked)
        if value == "replied":
            return queryset.filter(status__in=worked, borrower_replied_at__isnull=False)
        if value == "ready":
            return queryset.filter(status=S.IN_REVIEW, ready_for_decision_at__isnull=False)
        if value == "awaiting":
            return queryset.filter(status=S.AWAITING_BORROWER)
        if value == "breached":
            return queryset.filter(breached_q(timezone.now()))
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True, status__in=worked)
        if value == "closed":
            return queryset.exclude(status__in=list(OPEN_STATES))
        return queryset.exclude(status=S.DRAFT)


class StateFilter(admin.SimpleListFilter):
    """The appeal's state with the desk's own words: one label per state (the borrower sees
    "Approved" for both an approval and an automatic one; staff must tell them apart)."""

    title = gettext_lazy("state")
    parameter_name = "status__exact"
    STAFF_LABELS = {S.AUTO_APPROVED: gettext_lazy("Approved automatically")}

    def lookups(self, request, model_admin):
        return [
            (value, self.STAFF_LABELS.get(value, label))
            for value, label in S.choices
            if value != S.DRAFT
        ]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


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


def search_queue(queryset, term: str):
    """What people search with: an appeal reference or id, a name (Chinese or Latin, any
    part), an email or phone number (any part of at least 4 characters), a customer ID.
    On PostgreSQL the partial matches use trigram indexes (migration 0007); on SQLite they
    scan, which is fine for a development database."""
    term = " ".join(term.split())
    if not term:
        return queryset
    digits = re.sub(r"[\s-]", "", term)
    if "@" in term:
        return queryset.filter(borrower__email__icontains=term)
    if PHONE_RE.match(term) and len(digits.lstrip("+")) >= 11:
        phone = digits if digits.startswith("+") else f"+86{digits}"
        return queryset.filter(borrower__phone=phone)
    appeal_id = appeal_id_from_reference(term)
    if digits.isdigit() and len(digits) >= 4:
        # A number: the appeal's id, or part of a phone number. The borrowers are looked up
        # first (trigram index, at most PHONE_MATCHES), so the OR with the id is over two
        # indexed columns of appeals, not a subquery run per row.
        found = Q(borrower_id__in=_borrowers(phone__contains=digits))
        return queryset.filter(found | Q(pk=appeal_id) if appeal_id is not None else found)
    if appeal_id is not None:
        return queryset.filter(pk=appeal_id)
    found = Q(borrower__customer_id=term) | Q(borrower__full_name__icontains=term)
    if len(term) >= 3 and term.isascii():
        found |= Q(borrower__email__icontains=term)
    return queryset.filter(found)


PHONE_MATCHES = 500


def _borrowers(**lookups) -> list[int]:
    return list(
        get_user_model().objects.filter(**lookups).values_list("pk", flat=True)[:PHONE_MATCHES]
    )


def searched_what(term: str) -> str:
    """What an empty result says was searched."""
    return _(
        "No appeal matches “%(term)s”. Searched: appeal reference and number, borrower name "
        "(any part), email and phone (any part of at least 4 characters), customer ID, in the "
        "queue and filters chosen."
    ) % {"term": term}


class BulkReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=gettext_lazy("Give to"), queryset=None)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people_who_can_work()
        self.fields["assignee"].label_from_instance = lambda u: f"{u.full_name} <{u.email}>"


class QueueAdminMixin:
    """The appeal list as a work queue: columns, filters, search, bulk reassignment."""

    list_display = (
        "reference_col",
        "state_col",
        "reasons_col",
        "assignee_col",
        "first_response_col",
        "resolution_col",
    )
    list_display_links = ("reference_col",)
    list_filter = (QueueFilter, StateFilter, ReasonCategoryFilter)
    search_fields = ("borrower__customer_id",)  # the box; the lookups are exact, see below
    search_help_text = gettext_lazy(
        "Search by appeal (A-2026-000123 or 123), name, customer ID, phone or email (a part "
        "is enough)."
    )
    list_select_related = ("borrower", "assignee")
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = UrgencyPaginator
    ordering = ("resolution_due", "first_response_due")  # a column sort; see get_ordering
    actions = ["reassign_selected"]

    def has_reassign_permission(self, request):
        return request.user.has_perm("appeals.reassign_appeal")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            qs = qs.prefetch_related("decision__reasons__reason_code", "decision__reasons__wording")
        return qs

    def get_ordering(self, request):
        """Most urgent first: a breached clock (first response or decision; the longest
        overdue first), then a borrower's unanswered reply, then the nearest decision due,
        then first response due.
        Pages of the default order are read off indexes by UrgencyPaginator (the same
        order); this is the order of a single page and of the CSV-like uses of the list."""
        breached = breached_q(timezone.now())
        return [
            Case(When(breached, then=Value(0)), default=Value(1), output_field=IntegerField()),
            Case(When(breached, then=F("clock_due"))).asc(nulls_last=True),
            *URGENCY_ORDER,
        ]

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(
            request, queryset, per_page, orphans, allow_empty_first_page
        )
        # A column the person sorted by (?o=) pages the usual way.
        paginator.tiered = ORDER_VAR not in request.GET
        return paginator

    def get_search_results(self, request, queryset, search_term):
        return search_queue(queryset, search_term), False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl") if response else None
        if cl is not None and cl.query and not cl.result_list:
            response.context_data["empty_search"] = searched_what(cl.query)
        return response

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
        return queue_state_cell(obj)

    @admin.display(description=gettext_lazy("reason for appeal"))
    def reasons_col(self, obj):
        """The borrower's grounds, and under them the decision's reason categories (one
        column, so the queue fits 1280 px)."""
        reasons = sorted(obj.decision.reasons.all(), key=lambda r: r.rank)
        labels = dict(ReasonCategory.choices)
        seen = list(dict.fromkeys(r.reason_code.category for r in reasons))
        return format_html(
            "{}<br><span class='desk-quiet'>{}</span>",
            ", ".join(obj.grounds_display()) or "—",
            ", ".join(str(labels.get(c, c)) for c in seen) or "—",
        )

    @admin.display(description=gettext_lazy("assignee"), ordering="assignee__full_name")
    def assignee_col(self, obj):
        if obj.assignee is None:
            return format_html('<span class="desk-unassigned">{}</span>', _("Unassigned"))
        return obj.assignee.full_name

    @admin.display(description=gettext_lazy("reply expected by"), ordering="first_response_due")
    def first_response_col(self, obj):
        return first_response_cell(obj)

    @admin.display(description=gettext_lazy("decision expected by"), ordering="resolution_due")
    def resolution_col(self, obj):
        return resolution_cell(obj)

    @admin.action(
        description=gettext_lazy("Reassign the selected appeals"), permissions=["reassign"]
    )
    def reassign_selected(self, request, queryset):
        if "apply" in request.POST:
            form = BulkReassignForm(request.POST)
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
                        refused.append(f"{appeal.reference}: {error_text(exc)}")
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
            form = BulkReassignForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reassign appeals"),
            "appeals": queryset.select_related("borrower", "assignee")[:200],
            "form": form,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/appeals/appeal/reassign.html", context)
