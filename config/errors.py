"""handler500: a lost database answers 503 with Retry-After, never 500.

Django calls the handler while the exception is being handled, whichever layer raised it (a
view, DRF's authentication, a middleware reading the session or the user), so this one place
sees every request the database failed. A lost or refused connection, a server shutting
down, a deadlock or a cancelled statement are all `OperationalError`/`InterfaceError`: the
request may be sent again once the database answers: its transaction was rolled back, or, if
the database went away between the commit and the answer, committed whole (an ingestion batch
sent again then answers "duplicate"). Anything else stays a 500.

Pages get the static bilingual 503 page and the API its JSON error shape; neither touches the
database (no request context, no session, no user).
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as default_server_error

from .api import API_PREFIX

RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable(exc: BaseException | None) -> bool:
    """Is this exception (or one it was raised from) the database failing to answer?"""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def service_unavailable(request) -> HttpResponse:
    """503 with Retry-After: JSON under /api/, the static page elsewhere."""
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {
                "error": {
                    "code": "service_unavailable",
                    "message": "The service is briefly unavailable; send the request again "
                    "after Retry-After seconds.",
                }
            },
            status=503,
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def server_error(request):
    if database_unavailable(sys.exc_info()[1]):
        return service_unavailable(request)
    return default_server_error(request)
