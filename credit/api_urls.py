from django.urls import path

from . import api

urlpatterns = [
    path("borrowers/", api.BorrowersUpsertView.as_view(), name="api-borrowers-upsert"),
    path("credit-events/", api.CreditEventsIngestView.as_view(), name="api-credit-events"),
]
