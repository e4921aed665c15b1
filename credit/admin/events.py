"""Credit events as upstream systems sent them (read-only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import (
    CreditEvent,
)
from .common import ReadOnlyMixin, pretty_json


@admin.register(CreditEvent)
class CreditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "customer_id", "source", "external_id", "received_at")
    list_filter = ("kind", "source")
    list_select_related = ("line__borrower",)
    search_fields = ("external_id", "line__borrower__customer_id")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at",)
    fields = ("line", "kind", "source", "external_id", "occurred_at", "received_at", "data_display")
    readonly_fields = fields

    @admin.display(description=_("customer ID"), ordering="line__borrower__customer_id")
    def customer_id(self, obj):
        return obj.line.borrower.customer_id

    @admin.display(description=_("data"))
    def data_display(self, obj):
        return pretty_json(obj.data)
