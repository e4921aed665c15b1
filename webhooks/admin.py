"""Supervisors register endpoints, rotate secrets, enable them again, see every delivery
with its attempts and answers, and replay one delivery or the messages of a time range
(filter the messages by date, select, replay). Actions call the services."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import registry, services
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage


class EndpointForm(forms.ModelForm):
    """Event types chosen among those the apps registered (none ticked: all of them)."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("event types"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The event types this endpoint receives; none ticked means all of them."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "event_types", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = [
            (t.name, f"{t.name} — {t.description}") for t in registry.all_types()
        ]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("__str__", "url", "is_active", "failing_since", "disabled_reason")
    list_filter = ("is_active",)
    fields = (
        "url",
        "description",
        "event_types",
        "is_active",
        "secret",
        "previous_secret_expires_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
    )
    readonly_fields = (
        "secret",
        "previous_secret_expires_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
    )
    actions = ("rotate_secret", "enable")

    # Supervisors only (they hold change_webhookendpoint): the auditor reads and changes nothing.
    @admin.action(
        description=_("Rotate the secret (the old one stays valid for 24 hours)"),
        permissions=["change"],
    )
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_rotate_secret(endpoint=endpoint)
        self.message_user(request, _("New secrets are shown on each endpoint's page."))

    @admin.action(description=_("Enable again and deliver what waits"), permissions=["change"])
    def enable(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_enable(endpoint=endpoint)
        self.message_user(request, _("Enabled."), messages.SUCCESS)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "message",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "endpoint")
    list_select_related = ("message", "endpoint")
    search_fields = ("message__msg_id", "=line_id")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = (AttemptInline,)
    actions = ("replay",)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Replay the selected deliveries"), permissions=["change"])
    def replay(self, request, queryset):
        count = 0
        for endpoint_id in set(queryset.values_list("endpoint_id", flat=True)):
            count += services.deliveries_replay(
                endpoint=WebhookEndpoint.objects.get(pk=endpoint_id),
                deliveries=queryset.filter(endpoint_id=endpoint_id).values_list("pk", flat=True),
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", count
            )
            % {"count": count},
        )


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    list_display = ("msg_id", "event_type", "line_id", "sequence", "created_at")
    list_filter = ("event_type",)
    date_hierarchy = "created_at"
    search_fields = ("msg_id", "=line_id")
    readonly_fields = [f.name for f in WebhookMessage._meta.fields]
    actions = ("replay_to_all",)

    def has_add_permission(self, request):
        return False

    def has_replay_permission(self, request) -> bool:
        # Replaying a message creates deliveries: the permission to change deliveries.
        return request.user.has_perm("webhooks.change_webhookdelivery")

    @admin.action(
        description=_("Replay the selected messages to every endpoint"), permissions=["replay"]
    )
    def replay_to_all(self, request, queryset):
        selected = list(queryset)
        ids = [m.pk for m in selected]
        count = sum(
            services.deliveries_replay(endpoint=endpoint, messages=ids)
            for endpoint in WebhookEndpoint.objects.all()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", count
            )
            % {"count": count},
        )
