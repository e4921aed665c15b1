from django.contrib import admin

from .models import QueuedJob


@admin.register(QueuedJob)
class QueuedJobAdmin(admin.ModelAdmin):
    """Read-only: what is waiting for the broker, and why it could not be handed over."""

    list_display = ("task", "args", "created_at", "published_at", "attempts")
    list_filter = ("task", ("published_at", admin.EmptyFieldListFilter))
    readonly_fields = [f.name for f in QueuedJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
