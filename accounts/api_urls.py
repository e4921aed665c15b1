from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.BorrowerTokenView.as_view(), name="api-auth-token"),
    path("consents/", api.ConsentsView.as_view(), name="api-consents"),
]
