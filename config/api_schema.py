"""OpenAPI pieces shared by the API views: the one error shape of `config/api.py`."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

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
