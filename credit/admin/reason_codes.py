"""Reason codes: the wording borrowers read, edited in both languages."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import (
    ReasonCode,
)


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "category", "title_en", "title_zh", "appealable", "default_buffer_days")
    list_filter = ("category", "appealable")
    search_fields = ("code", "title_en", "title_zh")
    fieldsets = (
        (None, {"fields": ("code", "category", "appealable", "default_buffer_days")}),
        (_("English"), {"fields": ("title_en", "explanation_en", "advice_en")}),
        (_("Chinese"), {"fields": ("title_zh", "explanation_zh", "advice_zh")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Decisions point at codes; renaming one would rewrite what borrowers were told.
        return ("code",) if obj else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.reason_code_save(reason_code=obj, actor=request.user)
