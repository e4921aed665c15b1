from django.urls import path

from . import api

urlpatterns = [
    path("", api.AppealListCreateView.as_view(), name="api-appeals"),
    path("<int:pk>/", api.AppealDetailView.as_view(), name="api-appeal"),
    path("<int:pk>/evidence/", api.AppealEvidenceView.as_view(), name="api-appeal-evidence"),
    path(
        "<int:pk>/evidence/<int:evidence_pk>/",
        api.AppealEvidenceFileView.as_view(),
        name="api-appeal-evidence-file",
    ),
    path("<int:pk>/submit/", api.AppealSubmitView.as_view(), name="api-appeal-submit"),
    path("<int:pk>/withdraw/", api.AppealWithdrawView.as_view(), name="api-appeal-withdraw"),
    path("<int:pk>/messages/", api.AppealMessagesView.as_view(), name="api-appeal-messages"),
    path(
        "<int:pk>/second-review/",
        api.AppealSecondReviewView.as_view(),
        name="api-appeal-second-review",
    ),
    path("<int:pk>/survey/", api.AppealSurveyView.as_view(), name="api-appeal-survey"),
]
