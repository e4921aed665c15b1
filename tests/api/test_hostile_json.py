"""Finding 4: deeply nested JSON is a clear 400 on every JSON endpoint, never a 500."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.parsers import MAX_DEPTH
from tests.accounts.factories import bearer, borrower_token, service_token
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/credit-events/"


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


@pytest.mark.parametrize("shape", ["lists", "objects", "mixed"])
def test_the_nesting_limit_is_exact(shape):
    """MAX_DEPTH levels parse; one more is a parse error, whatever the containers are (a
    batch's events sit beside the deep branch, as in a real body)."""

    def nested(depth):
        value = 1
        for level in range(depth):
            as_list = shape == "lists" or (shape == "mixed" and level % 2)
            value = [value] if as_list else {"k": value}
        return [{"source": "core", "data": {}}, value]  # the batch list is a level too

    api = APIClient()
    api.credentials(**bearer(service_token()[1]))
    at_limit = api.post(URL, nested(MAX_DEPTH - 1), format="json")
    assert at_limit.status_code == 200, at_limit.content
    too_deep = api.post(URL, nested(MAX_DEPTH), format="json")
    assert too_deep.status_code == 400
    assert too_deep.json()["error"]["code"] == "parse_error"
