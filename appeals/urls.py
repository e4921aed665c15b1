from django.urls import path

from . import views

app_name = "appeals"
urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("new/", views.appeal_start, name="start"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/edit/", views.appeal_edit, name="edit"),
    path("<int:pk>/evidence/", views.appeal_add_evidence, name="add-evidence"),
    path("<int:pk>/evidence/<int:evidence_pk>/", views.evidence_download, name="evidence"),
    path("<int:pk>/reply/", views.appeal_reply, name="reply"),
    path("<int:pk>/submit/", views.appeal_submit, name="submit"),
    path("<int:pk>/withdraw/", views.appeal_withdraw, name="withdraw"),
    path("<int:pk>/discard/", views.appeal_discard, name="discard"),
    path("<int:pk>/second-review/", views.appeal_second_review, name="second-review"),
    path("<int:pk>/survey/", views.appeal_survey, name="survey"),
    path("support/", views.support_list, name="support"),
    path("support/new/", views.support_new, name="support-new"),
    path("support/<int:support_pk>/", views.support_detail, name="support-detail"),
    path("support/<int:support_pk>/reply/", views.support_reply, name="support-reply"),
]
