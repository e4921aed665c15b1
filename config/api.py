"""One JSON shape for every API error, and the one handler that produces it.

{"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]}}}

Services raise Django's `ValidationError` (with field names where a field is at fault),
`PermissionDenied` or `Http404`; API views let them through and this handler answers with
the shape above, so no view catches and re-raises them. Views document their error answers
with `error_responses(...)` (or `ERROR_RESPONSE`) from here.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

ERROR_RESPONSE = OpenApiResponse(
    response=inline_serializer(
        name="Error",
        fields={
            "error": inline_serializer(
                name="ErrorBody",
                fields={
                    "code": serializers.CharField(),
                    "message": serializers.CharField(),
                    "fields": serializers.DictField(required=False),
                },
            )
        },
    ),
    description="The one error shape: {error: {code, message, fields?}}.",
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error answers of an endpoint, for `extend_schema(responses={..., **these})`."""
    return dict.fromkeys(statuses, ERROR_RESPONSE)


def _as_api_exception(exc: Exception) -> Exception:
    """Django's own exceptions as the API exceptions with the same meaning."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, Http404):
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, OverflowError):
        # An id past what the database stores (SQLite refuses to bind it): no such object.
        return exceptions.NotFound()
    return exc


def _code_for(exc: Exception, response_status: int) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "validation_error"
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            return codes
    return {
        status.HTTP_404_NOT_FOUND: "not_found",
        status.HTTP_403_FORBIDDEN: "permission_denied",
    }.get(response_status, "error")


def exception_handler(exc, context):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body: dict = {"code": _code_for(exc, response.status_code)}
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body["message"] = _("The request is not valid; see the fields.")
        body["fields"] = data if isinstance(data, dict) else {"non_field_errors": data}
    elif isinstance(data, dict) and "detail" in data:
        body["message"] = str(data["detail"])
    else:
        body["message"] = str(data)
    return Response({"error": body}, status=response.status_code, headers=response.headers)


API_PREFIX = "/api/"


def page_not_found(request, exception=None):
    """handler404: a path under /api/ that matches no route (a negative or oversized id, a
    typo) gets the JSON error shape like every other API answer; pages keep the 404 page."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found as default_page_not_found

    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"error": {"code": "not_found", "message": _("No such path in the API.")}}, status=404
        )
    return default_page_not_found(request, exception)
