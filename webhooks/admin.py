"""Supervisors register endpoints, rotate secrets, enable them again, see every delivery
with its attempts and answers, and replay one delivery, the selected messages, or every
message of a time range to chosen endpoints (an action with a form for the range). Actions
call the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
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


class ReplayRangeForm(forms.Form):
    """A time range in the reader's time zone: from (included) until (not included)."""

    since = forms.DateTimeField(
        label=_("From"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    until = forms.DateTimeField(
        label=_("Until (not included)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            raise ValidationError(_("The end of the range must be after its start."))
        return cleaned


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
    actions = ("rotate_secret", "enable", "replay_time_range")

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

    @admin.action(description=_("Replay every message of a time range…"), permissions=["change"])
    def replay_time_range(self, request, queryset):
        """First a form for the range; sent, every message written in it is queued again
        to each selected endpoint (including those it never had a delivery for)."""
        applying = "apply" in request.POST
        form = ReplayRangeForm(request.POST if applying else None)
        if applying and form.is_valid():
            since, until = form.cleaned_data["since"], form.cleaned_data["until"]
            count = sum(
                services.deliveries_replay(endpoint=endpoint, since=since, until=until)
                for endpoint in queryset
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery queued again.",
                    "%(count)d deliveries queued again.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS if count else messages.WARNING,
            )
            return None
        return TemplateResponse(
            request,
            "admin/webhooks/replay_time_range.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Replay every message of a time range"),
                "opts": self.model._meta,
                "form": form,
                "endpoints": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


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
