"""Everything under /api/v1/. Each app adds its routes here."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("accounts.api_urls")),
    path("", include("credit.api_urls")),
    path("me/", include("credit.me_urls")),
    path("", include("notifications.api_urls")),
    path("appeals/", include("appeals.api_urls")),
]
