"""Finding 10 of issue 15: the schema says what the API does — a page where it answers a page,
every error status an operation can give, and 401 with a challenge for anonymous calls."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method.upper(), operation


def test_my_decisions_are_documented_as_the_page_they_are(schema):
    ok = schema["paths"]["/api/v1/me/decisions/"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    page = schema["components"]["schemas"][ref]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])


def test_every_operation_documents_its_error_answers(schema):
    for path, method, operation in _operations(schema):
        documented = set(operation["responses"])
        assert {"401", "403"} <= documented, (method, path)
        if "{" in path:
            assert "404" in documented, (method, path)
        if method in {"POST", "PUT", "PATCH"}:
            assert "400" in documented, (method, path)


def test_starting_appeals_documents_its_rate_limit(schema):
    assert "429" in schema["paths"]["/api/v1/appeals/"]["post"]["responses"]


@pytest.mark.parametrize(
    "path", ["/api/v1/me/credit-line/", "/api/v1/appeals/", "/api/v1/notifications/"]
)
def test_an_anonymous_call_is_401_with_a_bearer_challenge(path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_path_outside_the_routes_answers_in_the_error_shape():
    response = APIClient().get("/api/v1/appeals/-1/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
