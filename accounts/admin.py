from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import audited, privacy
from .models import ApiToken, LegalHold, PolicyAcceptance, PolicyVersion, User
from .rights import legal_hold_lift, legal_hold_place, on_legal_hold
from .services import api_token_revoke, policy_version_publish, policy_version_save_draft


def _staff_access(user: User) -> dict:
    if user.pk is None:
        return {"roles": [], "permissions": [], "is_staff": False, "is_superuser": False}
    return {
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(
            f"{app}.{code}"
            for app, code in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        ),
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


class RevealForm(forms.Form):
    # The label is a question: no colon after it, in either language.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    reason = forms.CharField(
        label=_("Why do you need to see this person's details?"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "style": "max-width: 100%"}),
        max_length=500,
        help_text=_("Recorded in the audit trail with your name."),
    )


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
    masked_list_display = (
        "masked_email",
        "full_name",
        "customer_id",
        "masked_phone",
        "is_staff",
        "is_active",
    )
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
    change_form_template = "admin/accounts/user/change_form.html"

    # Contact details are masked for everyone who does not edit people (agents, reviewers,
    # supervisors, auditors); the search still runs on the full values in the database.
    @admin.display(description=_("email"), ordering="email")
    def masked_email(self, user: User) -> str:
        return privacy.mask_email(user.email)

    @admin.display(description=_("phone"))
    def masked_phone(self, user: User) -> str:
        return privacy.mask_phone(user.phone) or "—"

    def get_list_display(self, request):
        if privacy.sees_personal_data(request.user):
            return self.list_display
        return self.masked_list_display

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or privacy.sees_personal_data(request.user):
            return fieldsets
        swap = {"email": "masked_email", "phone": "masked_phone", "password": None}
        return tuple(
            (
                name,
                {
                    **options,
                    "fields": tuple(
                        swap.get(f, f) for f in options["fields"] if swap.get(f, f) is not None
                    ),
                },
            )
            for name, options in fieldsets
        )

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not privacy.sees_personal_data(request.user):
            fields += ("masked_email", "masked_phone")
        return fields

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_reveal"] = (
            obj is not None
            and not privacy.sees_personal_data(request.user)
            and privacy.may_reveal(request.user)
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        reveal = self.admin_site.admin_view(self.reveal_view)
        return [
            path("<int:user_id>/reveal/", reveal, name="accounts_user_reveal"),
            *super().get_urls(),
        ]

    def reveal_view(self, request, user_id: int):
        """A supervisor or auditor sees one person's contact details, after giving a reason."""
        if not privacy.may_reveal(request.user):
            raise PermissionDenied
        person = get_object_or_404(User, pk=user_id)
        form = RevealForm(request.POST or None)
        revealed = None
        if request.method == "POST" and form.is_valid():
            try:
                revealed = privacy.personal_data_reveal(
                    person=person, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                for message in exc.message_dict.get("reason", exc.messages):
                    form.add_error("reason", message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Reveal personal data"),
            "person": person,
            "masked": {
                "email": privacy.mask_email(person.email),
                "phone": privacy.mask_phone(person.phone),
            },
            "form": form,
            "revealed": revealed,
            "back": request.GET.get("next") or "",
        }
        response = TemplateResponse(request, "admin/accounts/user/reveal.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def save_model(self, request, obj, form, change):
        before = User.objects.get(pk=obj.pk) if change else User()
        request._staff_access_before = _staff_access(before)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_staff_access_before", None)
        if before is not None:
            audited.staff_access_changed(
                form.instance, actor=request.user, before=before, after=_staff_access(form.instance)
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


def _role_permissions(group: Group) -> list[str]:
    if group.pk is None:
        return []
    return sorted(
        f"{app}.{code}"
        for app, code in group.permissions.values_list("content_type__app_label", "codename")
    )


admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(DjangoGroupAdmin):
    """Roles are groups: an administrator changing what a role may do is audited (a code
    deploy changes them through `sync_staff_groups` and its migration instead)."""

    def save_model(self, request, obj, form, change):
        before = Group.objects.get(pk=obj.pk) if change else Group()
        request._role_permissions_before = _role_permissions(before)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_role_permissions_before", None)
        if before is not None:
            audited.role_permissions_changed(
                form.instance,
                actor=request.user,
                before=before,
                after=_role_permissions(form.instance),
            )


class LegalHoldForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ("person", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "person" in self.fields:
            self.fields["person"].queryset = User.objects.filter(is_staff=False)

    def clean(self):
        # The service's own checks, shown on the form (it checks again when it runs).
        cleaned = super().clean()
        person, reason = cleaned.get("person"), (cleaned.get("reason") or "").strip()
        if person is not None and len(reason) >= 10 and on_legal_hold(person):
            self.add_error("person", _("This person is already under a legal hold."))
        if reason and len(reason) < 10:
            self.add_error("reason", _("Say why the records must be kept (10 characters or more)."))
        return cleaned


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    """A supervisor places a hold (with a reason) and lifts it; both are audited. While a hold
    is in place the retention job leaves the person's records as they are."""

    form = LegalHoldForm
    list_display = ("person", "reason", "placed_at", "placed_by", "lifted_at", "lifted_by")
    list_filter = (("lifted_at", admin.EmptyFieldListFilter),)
    list_select_related = ("person", "placed_by", "lifted_by")
    search_fields = ("person__customer_id", "reason")
    raw_id_fields = ("person",)
    actions = ("lift_holds",)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("placed_at", "placed_by", "lifted_at", "lifted_by")
        return ("person", "reason", "placed_at", "placed_by", "lifted_at", "lifted_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("person", "reason")
        return ("person", "reason", "placed_at", "placed_by", "lifted_at", "lifted_by")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a hold stays on record; it is lifted, never deleted

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing about a hold is edited once placed
        try:
            hold = legal_hold_place(
                person=form.cleaned_data["person"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            raise PermissionDenied(" ".join(error.messages)) from error
        obj.pk = hold.pk

    def save_related(self, request, form, formsets, change):
        pass  # no related rows; the service wrote the hold

    @admin.action(description=_("Lift the selected legal holds"), permissions=["change"])
    def lift_holds(self, request, queryset):
        count = 0
        for hold in queryset.filter(lifted_at__isnull=True):
            legal_hold_lift(hold=hold, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d legal hold lifted.", "%(count)d legal holds lifted.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Supervisors write a draft in both languages and publish it; a published version is
    read-only for everyone (a change is a new version). The auditor reads."""

    list_display = ("document", "version", "effective_on", "status", "published_by")
    list_filter = ("document", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("version", "title_zh", "title_en")
    actions = ("publish",)
    fields = (
        "document",
        "version",
        "effective_on",
        "title_zh",
        "title_en",
        "changes_zh",
        "changes_en",
        "body_zh",
        "body_en",
        "published_at",
        "published_by",
    )
    readonly_fields = ("published_at", "published_by")

    @admin.display(description=_("status"))
    def status(self, version: PolicyVersion) -> str:
        if not version.is_published:
            return _("draft")
        if version.effective_on > timezone.localdate():
            return _("published, not yet in effect")
        return _("published")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("accounts.publish_policyversion")

    def save_model(self, request, obj, form, change):
        policy_version_save_draft(version=obj)

    @admin.action(description=_("Publish the selected drafts"), permissions=["publish"])
    def publish(self, request, queryset):
        published = 0
        for version in queryset.order_by("document", "effective_on"):
            try:
                policy_version_publish(version=version, actor=request.user)
            except ValidationError as exc:
                self.message_user(
                    request, f"{version}: {' '.join(exc.messages)}", level=messages.ERROR
                )
            else:
                published += 1
        if published:
            self.message_user(
                request,
                ngettext(
                    "Published %(count)d version. Borrowers accept it from its effective date.",
                    "Published %(count)d versions. Borrowers accept them from their effective "
                    "dates.",
                    published,
                )
                % {"count": published},
                level=messages.SUCCESS,
            )


@admin.register(PolicyAcceptance)
class PolicyAcceptanceAdmin(admin.ModelAdmin):
    """Who accepted which version, when and from where: read-only, for supervisors and the
    auditor."""

    list_display = ("user_label", "policy_version", "accepted_at", "channel")
    list_filter = ("policy_version__document", "policy_version", "channel")
    search_fields = ("user__customer_id",)
    list_select_related = ("policy_version",)
    date_hierarchy = "accepted_at"

    @admin.display(description=_("borrower"))
    def user_label(self, acceptance: PolicyAcceptance) -> str:
        return f"user #{acceptance.user_id}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
