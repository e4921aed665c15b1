from django.urls import path

from . import me_api

urlpatterns = [
    path("credit-line/", me_api.MyCreditLineView.as_view(), name="me-credit-line"),
    path("decisions/", me_api.MyDecisionsView.as_view(), name="me-decisions"),
]
