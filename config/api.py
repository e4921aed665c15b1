"""One JSON shape for every API error.

{"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]}}}
"""

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body: dict = {"code": _code_for(exc, response.status_code)}
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body["message"] = "The request is not valid; see the fields."
        body["fields"] = data if isinstance(data, dict) else {"non_field_errors": data}
    elif isinstance(data, dict) and "detail" in data:
        body["message"] = str(data["detail"])
    else:
        body["message"] = str(data)
    return Response({"error": body}, status=response.status_code, headers=response.headers)
