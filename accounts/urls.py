from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("language/", views.set_language, name="set-language"),
    path("help/", views.help_page, name="help"),
    path("settings/data/", views.data_rights_page, name="data-rights"),
    path(
        "settings/data/<uuid:export_id>/<str:kind>/",
        views.data_export_download,
        name="data-export-download",
    ),
    path("settings/data/delete/", views.account_delete, name="account-delete"),
    path("consent/", views.consent_page, name="consent"),
    path("policies/", views.policies_page, name="policies"),
]
