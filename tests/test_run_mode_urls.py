"""The site's URLs plus one view that refuses, for the 403 page test."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def forbidden(request):
    raise PermissionDenied


urlpatterns = [path("forbidden/", forbidden), *site_urlpatterns]
