"""Staff see appeals here, read-only: the staff desk (queue, actions, SLA) replaces this.

Every change goes through `appeals.services`; the admin writes nothing itself.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Appeal, AppealTransition, Evidence, Message, Survey


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TransitionInline(_ReadOnlyInline):
    model = AppealTransition
    fields = ("at", "from_status", "to_status", "actor", "comment")
    readonly_fields = fields


class MessageInline(_ReadOnlyInline):
    model = Message
    fields = ("created_at", "kind", "author", "body")
    readonly_fields = fields


class EvidenceInline(_ReadOnlyInline):
    model = Evidence
    fields = ("download", "content_type", "size", "sha256", "uploaded_at")
    readonly_fields = fields

    @admin.display(description="file")
    def download(self, obj):
        url = reverse("appeals:evidence", args=[obj.appeal_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "borrower",
        "status",
        "assignee",
        "submitted_at",
        "first_response_due",
        "resolution_due",
    )
    list_filter = ("status",)
    search_fields = ("borrower__customer_id", "borrower__email", "borrower__full_name")
    list_select_related = ("borrower", "assignee")
    ordering = ("-created_at",)
    inlines = [TransitionInline, MessageInline, EvidenceInline]
    readonly_fields = [f.name for f in Appeal._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("appeal", "rating", "submitted_at")
    readonly_fields = ("appeal", "rating", "comment", "submitted_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
