from django.urls import path

from . import api

urlpatterns = [
    path("notifications/", api.NotificationListApi.as_view(), name="notifications-list"),
    path(
        "notifications/<int:pk>/read/",
        api.NotificationReadApi.as_view(),
        name="notifications-read",
    ),
    path(
        "notifications/preferences/",
        api.PreferencesApi.as_view(),
        name="notifications-preferences",
    ),
]
