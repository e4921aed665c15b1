from django.urls import path

from . import api, reconciliation_api

urlpatterns = [
    path("borrowers/", api.BorrowersUpsertView.as_view(), name="api-borrowers-upsert"),
    path("credit-events/", api.CreditEventsIngestView.as_view(), name="api-credit-events"),
    path("decisions/", reconciliation_api.DecisionsView.as_view(), name="api-decisions"),
    path(
        "credit-lines/<str:customer_id>/",
        reconciliation_api.CreditLineStateView.as_view(),
        name="api-credit-line-state",
    ),
]
