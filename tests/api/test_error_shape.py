"""Services raise Django's exceptions; every API view answers them in the one error shape."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from config.api import ERROR_RESPONSE, error_responses


def _answer(raised: Exception):
    class Raising(APIView):
        authentication_classes: list = []
        permission_classes = [AllowAny]

        def post(self, request):
            raise raised

    # In English, whose wording these tests read; tests/api/test_error_language.py has zh.
    with translation.override("en"):
        response = Raising.as_view()(APIRequestFactory().post("/", {}, format="json"))
    return response.status_code, response.data


def test_a_validation_error_naming_fields_answers_400_with_those_fields():
    status, body = _answer(ValidationError({"statement": ["Too short."], "grounds": ["Pick one."]}))

    assert status == 400
    assert body == {
        "error": {
            "code": "validation_error",
            "message": "The request is not valid; see the fields.",
            "fields": {"statement": ["Too short."], "grounds": ["Pick one."]},
        }
    }


def test_a_validation_error_without_a_field_answers_400_as_non_field_errors():
    status, body = _answer(ValidationError("This appeal was already submitted."))

    assert status == 400
    assert body["error"]["fields"] == {"non_field_errors": ["This appeal was already submitted."]}


def test_a_whole_form_error_keeps_django_s_key():
    status, body = _answer(ValidationError({NON_FIELD_ERRORS: ["Nothing to change."]}))

    assert status == 400
    assert body["error"]["fields"] == {NON_FIELD_ERRORS: ["Nothing to change."]}


def test_permission_denied_answers_403_with_its_message():
    status, body = _answer(PermissionDenied("API tokens are for active borrowers only."))

    assert status == 403
    assert body == {
        "error": {
            "code": "permission_denied",
            "message": "API tokens are for active borrowers only.",
        }
    }


def test_permission_denied_without_a_message_answers_the_default_one():
    status, body = _answer(PermissionDenied())

    assert status == 403
    assert body["error"] == {
        "code": "permission_denied",
        "message": "You do not have permission to perform this action.",  # DRF's, in English
    }


def test_http404_answers_404():
    status, body = _answer(Http404("No such appeal."))

    assert status == 404
    assert body == {"error": {"code": "not_found", "message": "No such appeal."}}


def test_an_unexpected_error_is_not_dressed_up_as_an_api_error():
    with pytest.raises(ZeroDivisionError):
        _answer(ZeroDivisionError())


def test_error_responses_document_each_status_with_the_one_shape():
    assert error_responses(400, 404) == {400: ERROR_RESPONSE, 404: ERROR_RESPONSE}
