from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken, User
from .services import api_token_revoke


class RecourseUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class RecourseUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = RecourseUserChangeForm
    add_form = RecourseUserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "customer_id", "phone", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "groups", "preferred_language")
    search_fields = ("email", "full_name", "customer_id", "phone")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Borrower"),
            {"fields": ("full_name", "customer_id", "phone", "preferred_language", "time_zone")},
        ),
        (
            _("Staff access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )


class ApiTokenForm(forms.ModelForm):
    revoke = forms.BooleanField(
        label=_("Revoke this token"),
        required=False,
        help_text=_("The token stops working at once. This can't be undone."),
    )

    class Meta:
        model = ApiToken
        fields = ()


class TokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("usable", _("Usable")), ("revoked", _("Revoked")), ("expired", _("Expired")))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "usable":
            return queryset.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `manage.py issue_service_token` (services) or the API (borrowers);
    here staff see them and revoke them. Nothing else about a token can be edited."""

    form = ApiTokenForm
    list_display = ("prefix", "kind", "owner", "scope_list", "last_used_at", "state")
    list_filter = ("kind", TokenStateFilter)
    search_fields = ("prefix", "name", "user__email", "user__customer_id")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    actions = ("revoke_tokens",)
    readonly_fields = (
        "prefix",
        "kind",
        "name",
        "user",
        "scope_list",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    )

    @admin.display(description=_("system or borrower"))
    def owner(self, token: ApiToken) -> str:
        return token.name if token.user_id is None else str(token.user)

    @admin.display(description=_("state"))
    def state(self, token: ApiToken) -> str:
        if token.is_revoked:
            return _("Revoked")
        if token.is_expired():
            return _("Expired")
        return _("Usable")

    @admin.display(description=_("scopes"))
    def scope_list(self, token: ApiToken) -> str:
        return ", ".join(token.scopes) or "—"

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and not obj.is_revoked and self.has_change_permission(request, obj):
            fields.append("revoke")
        return fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a revoked token stays on record

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("revoke"):
            api_token_revoke(token=obj, actor=request.user)
            self.message_user(request, _("Token revoked. It no longer works."), messages.SUCCESS)
        else:
            self.message_user(request, _("Nothing changed."), messages.INFO)

    def response_change(self, request, obj):
        # Not the generic "changed successfully": revoking is the only change there is.
        return HttpResponseRedirect(reverse("admin:accounts_apitoken_changelist"))

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
