"""Finding 4: deeply nested JSON is a clear 400 on every JSON endpoint, never a 500."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.accounts.factories import bearer, borrower_token, service_token
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db


def _json_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield method, re.sub(r"\{[^}]+\}", "1", path)


OPERATIONS = sorted(set(_json_operations()))


def test_the_schema_has_json_endpoints_to_check():
    assert len(OPERATIONS) >= 5


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("who", ["anonymous", "borrower", "service"])
def test_deeply_nested_json_is_refused_with_400(who, depth):
    api = APIClient()
    if who == "borrower":
        api.credentials(**bearer(borrower_token(BorrowerFactory())[1]))
    elif who == "service":
        api.credentials(**bearer(service_token()[1]))
    body = "[" * depth + "]" * depth
    for method, path in OPERATIONS:
        response = getattr(api, method)(path, body, content_type="application/json")
        assert response.status_code < 500, (method, path, response.status_code)
        if response.status_code == 400:
            assert response.json()["error"]["code"] == "parse_error", (method, path)


def test_nesting_within_reason_still_parses():
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": {"a": [[1]]}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
