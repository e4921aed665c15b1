"""The outbox in the admin: read-only, with resend (failed rows) and cancel (pending rows)
as actions that call the services."""

from django.contrib import admin, messages
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import privacy

from .models import DeliveryAttempt, Notification, StaffMessage, Status
from .registry import Channel, RegistryError, registry
from .selectors import outbox_for_admin
from .services import notification_cancel, notification_mark_read, notification_resend


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "finished_at", "outcome", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventFilter(admin.SimpleListFilter):
    """Filter by event, named as the declaring app labels it (the field has no choices)."""

    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return [(spec.name, spec.label) for spec in registry.events()]

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


class EventLabelMixin:
    """Shows a row's event by the label its app declared."""

    @admin.display(description=_("event"), ordering="event")
    def event_name(self, obj: Notification):
        try:
            return registry.event(obj.event).label
        except RegistryError:  # a row of an event no app declares any more
            return obj.event


@admin.register(Notification)
class NotificationAdmin(EventLabelMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "recipient",
        "event_name",
        "channel",
        "status",
        "attempts",
        "send_after",
        "sent_at",
        "about",
    ]
    list_filter = ["status", "channel", EventFilter, "is_legal_notice", "created_at"]
    search_fields = [
        "recipient__email",
        "recipient__full_name",
        "recipient__customer_id",
        "address",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    inlines = [DeliveryAttemptInline]
    actions = ["resend", "cancel"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "recipient",
                    "event_name",
                    "category",
                    "channel",
                    "is_legal_notice",
                    "masked_address",
                    "language",
                ]
            },
        ),
        (
            _("Delivery"),
            {
                "fields": [
                    "status",
                    "send_after",
                    "last_queued_at",
                    "sending_since",
                    "attempts",
                    "last_error",
                    "provider_message_id",
                    "created_at",
                    "sent_at",
                    "read_at",
                ]
            },
        ),
        (_("What was said"), {"fields": ["subject", "text_content", "html_source", "link"]}),
        (
            _("Where it came from"),
            {"fields": ["about", "object_type", "object_id", "dedupe_key", "context"]},
        ),
    ]

    def get_queryset(self, request):
        return outbox_for_admin()

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    @admin.display(description=_("about"))
    def about(self, obj: Notification):
        """A link back to what the message is about (e.g. the appeal's desk page), built by
        the app that declared the event (EventSpec.admin_link)."""
        link = registry.admin_link(obj)
        if not link:
            return "—"
        return format_html(
            '<a href="{}" class="notification-about">{}</a>', link, _("Open the case")
        )

    @admin.display(description=_("address"))
    def masked_address(self, obj: Notification) -> str:
        # Masked for every role: staff recognise the person, they never need the full address
        # here (accounts.privacy; supervisors reveal it on the person's page, audited).
        return (
            privacy.mask_email(obj.address)
            if "@" in (obj.address or "")
            else (privacy.mask_phone(obj.address) or "—")
        )

    @admin.display(description=_("text"))
    def text_content(self, obj: Notification):
        return format_html("<div>{}</div>", linebreaksbr(obj.body_text, autoescape=True))

    @admin.display(description=_("HTML"))
    def html_source(self, obj: Notification):
        # Shown as source: the admin's CSP forbids the inline styles emails rely on.
        if not obj.body_html:
            return "—"
        return format_html('<pre class="notification-text">{}</pre>', obj.body_html)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.resend_notification")

    def has_cancel_permission(self, request):
        return request.user.has_perm("notifications.cancel_notification")

    def _act_on(self, request, queryset, *, status, act, log, done_message, refused_message):
        """Run a staff act on the selected rows in `status`; leave the others alone and say
        how many of each there were."""
        chosen = list(queryset.filter(status=status))
        refused = queryset.count() - len(chosen)
        for row in chosen:
            act(notification=row, actor=request.user)
            self.log_change(request, row, log)
        if chosen:
            self.message_user(request, done_message(len(chosen)), messages.SUCCESS)
        if refused:
            self.message_user(request, refused_message(refused), messages.WARNING)

    @admin.action(description=_("Resend (failed only)"), permissions=["resend"])
    def resend(self, request, queryset):
        self._act_on(
            request,
            queryset,
            status=Status.FAILED,
            act=notification_resend,
            log="Resent",
            done_message=lambda n: (
                ngettext("%d notification queued again.", "%d notifications queued again.", n) % n
            ),
            refused_message=lambda n: (
                ngettext(
                    "%d notification was not failed and was left alone (a sent one is never "
                    "sent twice).",
                    "%d notifications were not failed and were left alone (a sent one is never "
                    "sent twice).",
                    n,
                )
                % n
            ),
        )

    @admin.action(description=_("Cancel (pending only)"), permissions=["cancel"])
    def cancel(self, request, queryset):
        self._act_on(
            request,
            queryset,
            status=Status.PENDING,
            act=notification_cancel,
            log="Cancelled",
            done_message=lambda n: (
                ngettext("%d notification cancelled.", "%d notifications cancelled.", n) % n
            ),
            refused_message=lambda n: (
                ngettext(
                    "%d notification was not pending and was left alone.",
                    "%d notifications were not pending and were left alone.",
                    n,
                )
                % n
            ),
        )


@admin.register(StaffMessage)
class StaffMessageAdmin(EventLabelMixin, admin.ModelAdmin):
    """Staff events (work assigned, a deadline missed, ...) for the signed-in staff member.

    Only their own inbox rows; opening one marks it read, as on the borrower site.
    """

    list_display = ["subject", "event_name", "created_at", "is_read"]
    list_filter = [EventFilter, ("read_at", admin.EmptyFieldListFilter)]
    fields = ["subject", "created_at", "text_content", "link_to_page"]
    readonly_fields = fields

    def get_queryset(self, request):
        return StaffMessage.objects.filter(recipient=request.user, channel=Channel.INBOX)

    @admin.display(description=_("read"), boolean=True)
    def is_read(self, obj):
        return obj.read_at is not None

    @admin.display(description=_("text"))
    def text_content(self, obj):
        return format_html("<div>{}</div>", linebreaksbr(obj.body_text, autoescape=True))

    @admin.display(description=_("link"))
    def link_to_page(self, obj):
        return format_html('<a href="{}">{}</a>', obj.link, obj.link) if obj.link else "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        message = self.get_object(request, object_id)
        if message is not None:
            notification_mark_read(notification=message)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
