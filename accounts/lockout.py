"""What django-axes answers when sign-in is paused: the sign-in page's own notice, or for the
API the one JSON error shape (a token client can't read an HTML page)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .backends import sign_in_identity

API_PREFIX = "/api/"
LOCKED_OUT_MESSAGE = (
    "Too many wrong passwords for this account. Sign-in is paused for 15 minutes; "
    "you can set a new password from the sign-in page."
)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith(API_PREFIX):
        if original_response is not None and original_response.status_code == status:
            return original_response  # the API view already answered in the error shape
        return JsonResponse(
            {"error": {"code": "locked_out", "message": LOCKED_OUT_MESSAGE}}, status=status
        )
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=status)


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """AXES_USERNAME_CALLABLE: count failures per account, whichever spelling found it."""
    field = settings.AXES_USERNAME_FORM_FIELD
    name = (credentials or {}).get(field)
    if name is None and request is not None:
        name = request.POST.get(field, "")
    return sign_in_identity(str(name or ""))[:255]
