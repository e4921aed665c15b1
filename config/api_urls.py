"""Everything under /api/v1/. Each app adds its routes here."""

from django.urls import include, path

urlpatterns: list = [
    path("me/", include("credit.me_urls")),
]
