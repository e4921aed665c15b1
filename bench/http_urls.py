"""Every project URL, plus the HTTP benchmark's baseline page: a `login_required` view on DB
sessions that does nothing else, so each page is reported against the cost of an
authenticated request on the same server in the same run. Served only by `bench.http`."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from config.urls import handler404, handler500  # noqa: F401 - the project's error pages
from config.urls import urlpatterns as project_urls


@login_required
def baseline(request):
    return HttpResponse(f"signed in as {request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/baseline/", baseline), *project_urls]
