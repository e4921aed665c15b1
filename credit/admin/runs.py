"""What the campaign and correction screens share: a draft that is edited, then a run that
is read-only with buttons (each a POST to a service) and a progress bar."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST


class ServiceCheckedForm:
    """A ModelForm mixin: after parsing, run the service's own check on the instance, so the
    form never saves what the service would refuse to run."""

    service_check = None

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for name, value in cleaned.items():
                setattr(self.instance, name, value)
            try:
                type(self).service_check(self.instance)
            except ValidationError as exc:
                for field, errors in exc.update_error_dict({}).items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


class RunAdmin(admin.ModelAdmin):
    """A chunked run: editable while a draft, then read-only with its acts as POST buttons."""

    run_permission = ""  # e.g. "credit.run_policycampaign"
    acts: tuple[str, ...] = ()  # each names a `<act>_view` method and a URL `<pk>/<act>/`

    class Media:
        css = {"all": ("credit/admin.css", "credit/campaigns.css")}

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != "draft":
            return False  # started: read-only; its buttons act through the services
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("progress"))
    def progress_display(self, obj):
        if obj.state == "draft":
            return "—"
        return format_html(
            '<progress class="credit-progress" max="100" value="{}">{}%</progress> {}%',
            obj.progress_percent,
            obj.progress_percent,
            obj.progress_percent,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None:
            extra.update(self.panel(request, obj))
            extra["may_run"] = request.user.has_perm(self.run_permission)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def panel(self, request, obj) -> dict:
        raise NotImplementedError

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                f"<int:pk>/{act}/",
                self.admin_site.admin_view(require_POST(getattr(self, f"{act}_view"))),
                name="{}_{}_{}".format(*info, act),
            )
            for act in self.acts
        ] + super().get_urls()

    def act(self, request, pk, service, done_message):
        """Call `service(obj)`; say what it did, or why it refused; back to the page."""
        if not request.user.has_perm(self.run_permission):
            raise PermissionDenied
        obj = get_object_or_404(self.model, pk=pk)
        try:
            result = service(obj)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, done_message % {"count": result, "name": obj.name})
        info = self.model._meta.app_label, self.model._meta.model_name
        return redirect(reverse("admin:{}_{}_change".format(*info), args=[pk]))
