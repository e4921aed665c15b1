from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import User


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
