"""Credit lines and the decisions taken on them (read-only; staff may queue a re-evaluation)."""

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.exports import AuditedExportMixin

from .. import services
from ..models import (
    ClosureDeferral,
    CreditDecision,
    CreditLine,
    DecisionOutcome,
    DecisionReason,
    LineRecheck,
)
from .common import ReadOnlyMixin, features_table, points_table, reasons_html
from .manual_decisions import ManualDecisionMixin


class DecisionInline(ReadOnlyMixin, admin.StackedInline):
    model = CreditDecision
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-created_at", "-id")
    fields = (
        ("created_at", "trigger", "outcome", "score", "segment"),
        ("old_status", "new_status", "old_limit", "new_limit", "closing_effective_at"),
        "reasons_display",
        "note",
        "features_display",
    )
    readonly_fields = (
        "created_at",
        "trigger",
        "outcome",
        "score",
        "segment",
        "old_status",
        "new_status",
        "old_limit",
        "new_limit",
        "closing_effective_at",
        "reasons_display",
        "note",
        "features_display",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("reasons__reason_code", "reasons__wording")
            .select_related("scorecard", "policy")
        )

    @admin.display(description=_("reasons"))
    def reasons_display(self, obj):
        return reasons_html(obj)

    @admin.display(description=_("features"))
    def features_display(self, obj):
        return features_table(obj.features)


class ClosureDeferralInline(ReadOnlyMixin, admin.TabularInline):
    model = ClosureDeferral
    extra = 0
    fields = ("closing_effective_at", "hold", "detail", "first_deferred_at", "last_deferred_at")
    readonly_fields = fields


class LineRecheckInline(ReadOnlyMixin, admin.TabularInline):
    """When the line is evaluated again by time alone (the day its adverse decision said it
    would pass), and what each earlier one of these runs decided: the newest first."""

    model = LineRecheck
    extra = 0
    ordering = ("-due_on", "-id")
    fields = ("due_on", "ran_at", "outcome_display", "decision")
    readonly_fields = fields

    @admin.display(description=_("outcome of the run"))
    def outcome_display(self, obj):
        if obj.ran_at is None:
            return _("not run yet")
        if not obj.outcome:  # the run found the line as it was: no decision was written
            return _("no change")
        return DecisionOutcome(obj.outcome).label


@admin.register(CreditLine)
class CreditLineAdmin(ManualDecisionMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "customer_id",
        "borrower_name",
        "status",
        "credit_limit",
        "balance",
        "available",
        "closing_effective_at",
        "updated_at",
    )
    list_filter = ("status", "key_customer")
    list_select_related = ("borrower",)
    search_fields = ("borrower__customer_id", "borrower__email", "borrower__full_name")
    ordering = ("-updated_at",)
    readonly_fields = (
        "borrower",
        "status",
        "credit_limit",
        "balance",
        "available",
        "closing_effective_at",
        "key_customer",
        "opened_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = (DecisionInline, ClosureDeferralInline, LineRecheckInline)
    actions = ("reevaluate", "mark_key_customer", "unmark_key_customer")

    @admin.display(description=_("customer ID"), ordering="borrower__customer_id")
    def customer_id(self, obj):
        return obj.borrower.customer_id

    @admin.display(description=_("borrower"), ordering="borrower__full_name")
    def borrower_name(self, obj):
        return obj.borrower.full_name

    @admin.display(description=_("available"))
    def available(self, obj):
        return obj.available

    def has_reevaluate_permission(self, request):
        return request.user.has_perm("credit.reevaluate_creditline")

    @admin.action(
        description=_("Re-evaluate the selected credit lines now"), permissions=["reevaluate"]
    )
    def reevaluate(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        services.credit_lines_reevaluation_queue(line_ids=ids, trigger="staff", actor=request.user)
        self.message_user(
            request,
            ngettext(
                "Re-evaluation requested for %(count)d credit line.",
                "Re-evaluation requested for %(count)d credit lines.",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )

    def has_flag_permission(self, request):
        return request.user.has_perm("credit.decide_creditline")

    def _flag(self, request, queryset, *, key_customer: bool):
        count = services.credit_lines_key_customer_set(
            line_ids=list(queryset.values_list("id", flat=True)),
            key_customer=key_customer,
            actor=request.user,
        )
        self.message_user(
            request,
            ngettext("%(count)d credit line changed.", "%(count)d credit lines changed.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark as key customers"), permissions=["flag"])
    def mark_key_customer(self, request, queryset):
        self._flag(request, queryset, key_customer=True)

    @admin.action(description=_("Remove the key customer mark"), permissions=["flag"])
    def unmark_key_customer(self, request, queryset):
        self._flag(request, queryset, key_customer=False)


class DecisionReasonInline(ReadOnlyMixin, admin.TabularInline):
    model = DecisionReason
    extra = 0
    fields = ("rank", "reason_code", "attribute", "points_lost", "knockout")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reason_code")


@admin.register(CreditDecision)
class CreditDecisionAdmin(AuditedExportMixin, ReadOnlyMixin, admin.ModelAdmin):
    export_permission = "credit.export_creditdecision"
    export_name = "credit decisions"
    export_columns = (
        ("id", lambda d: d.pk),
        ("created_at", lambda d: d.created_at.isoformat()),
        ("customer_id", lambda d: d.line.borrower.customer_id or ""),
        ("line", lambda d: d.line_id),
        ("trigger", lambda d: d.trigger),
        ("outcome", lambda d: d.outcome),
        ("old_status", lambda d: d.old_status),
        ("new_status", lambda d: d.new_status),
        ("old_limit", lambda d: d.old_limit),
        ("new_limit", lambda d: d.new_limit),
        ("score", lambda d: "" if d.score is None else d.score),
        ("scorecard_version", lambda d: d.scorecard.version if d.scorecard_id else ""),
        ("policy_version", lambda d: d.policy.version if d.policy_id else ""),
        ("reasons", lambda d: " ".join(r.reason_code.code for r in d.reasons.all())),
        ("actor", lambda d: str(d.actor) if d.actor_id else ""),
        ("closing_effective_at", lambda d: d.closing_effective_at or ""),
    )

    def export_queryset(self, request):
        return (
            super()
            .export_queryset(request)
            .select_related("line__borrower", "scorecard", "policy", "actor")
            .prefetch_related(
                Prefetch(
                    "reasons",
                    queryset=DecisionReason.objects.select_related("reason_code").order_by("rank"),
                )
            )
        )

    list_display = (
        "created_at",
        "customer_id",
        "trigger",
        "outcome",
        "score",
        "old_status",
        "new_status",
        "old_limit",
        "new_limit",
        "segment",
    )
    list_filter = ("outcome", "trigger", "new_status", "segment")
    list_select_related = ("line__borrower",)
    search_fields = ("line__borrower__customer_id",)
    date_hierarchy = "created_at"
    fields = (
        "line",
        ("created_at", "trigger", "actor"),
        ("scorecard", "policy", "score", "segment"),
        ("outcome", "old_status", "new_status"),
        ("old_limit", "new_limit", "closing_effective_at"),
        "note",
        "points_display",
        "features_display",
    )
    readonly_fields = (
        "line",
        "created_at",
        "trigger",
        "actor",
        "scorecard",
        "policy",
        "score",
        "segment",
        "outcome",
        "old_status",
        "new_status",
        "old_limit",
        "new_limit",
        "closing_effective_at",
        "note",
        "points_display",
        "features_display",
    )
    inlines = (DecisionReasonInline,)

    @admin.display(description=_("customer ID"), ordering="line__borrower__customer_id")
    def customer_id(self, obj):
        return obj.line.borrower.customer_id

    @admin.display(description=_("points per attribute"))
    def points_display(self, obj):
        return points_table(obj.points)

    @admin.display(description=_("features"))
    def features_display(self, obj):
        return features_table(obj.features)
