"""The audit trail in the admin: read-only, for supervisors and compliance auditors, filtered by
actor, object, kind and date, and exported as a streaming CSV (the export itself audited)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import registry
from .exports import AuditedExportMixin
from .models import AuditEntry


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.code, kind.label) for kind in registry.all_kinds()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = (
            AuditEntry.objects.exclude(object_type="")
            .order_by("object_type")
            .values_list("object_type", flat=True)
            .distinct()
        )
        return [(t, t) for t in types]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


class ActorFilter(admin.SimpleListFilter):
    title = _("actor")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        # Staff only: a borrower acting (submitting, withdrawing) is found by the object.
        actors = (
            AuditEntry.objects.exclude(actor_label="")
            .exclude(actor_label__startswith="user #")
            .order_by("actor_label")
            .values_list("actor_id", "actor_label")
            .distinct()
        )
        return [(str(pk), name) for pk, name in actors if pk is not None]

    def queryset(self, request, queryset):
        return queryset.filter(actor_id=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedExportMixin, admin.ModelAdmin):
    list_display = ("at", "kind_label", "actor_label", "object_label", "summary")
    list_filter = (KindFilter, ActorFilter, ObjectTypeFilter, "at")
    search_fields = ("object_id", "object_label", "actor_label", "summary")
    date_hierarchy = "at"
    list_per_page = 50
    show_full_result_count = False  # the trail grows large: no second COUNT(*) per page
    readonly_fields = (
        "at",
        "kind",
        "actor_label",
        "object_type",
        "object_id",
        "object_label",
        "summary",
        "details",
    )
    fields = readonly_fields
    change_list_template = "audit/change_list.html"
    export_permission = "audit.export_auditentry"
    export_name = "audit entries"
    export_columns = (
        ("at", lambda e: e.at.isoformat()),
        ("kind", lambda e: e.kind),
        ("actor", lambda e: e.actor_label),
        ("object_type", lambda e: e.object_type),
        ("object_id", lambda e: e.object_id),
        ("object", lambda e: e.object_label),
        ("summary", lambda e: e.summary),
    )

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, entry: AuditEntry) -> str:
        return registry.label(entry.kind)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def export_queryset(self, request):
        return super().export_queryset(request).order_by("at", "id")
