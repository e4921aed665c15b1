"""The OpenAPI schema documents the ingestion endpoints, and service tokens reach nothing else."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import ApiScope
from tests.accounts.factories import bearer, service_token

pytestmark = pytest.mark.django_db
SCOPED = {
    "/api/v1/borrowers/",
    "/api/v1/credit-events/",
    "/api/v1/auth/token/",
    # The reconciliation API (scope decisions:read) is for service tokens too.
    "/api/v1/decisions/",
    "/api/v1/credit-lines/1/",
}


def test_the_schema_documents_ingestion_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned or erred while generating"
    paths = schema["paths"]
    events = paths["/api/v1/credit-events/"]["post"]
    assert events["security"] == [{"bearerToken": []}]
    assert "CreditEventsReport" in str(events["responses"]["200"])
    assert "/api/v1/borrowers/" in paths and "/api/v1/auth/token/" in paths
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def _api_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
            yield "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route)


def test_a_service_token_reaches_no_borrower_endpoint():
    """Walks every /api/v1/ route: only the ingestion and reconciliation endpoints (and the
    token endpoint, which takes a password) may answer a service token with anything but
    401/403/405."""
    _, raw = service_token(scopes=list(ApiScope.values))
    client = APIClient()
    found = set(_api_routes())
    assert found >= SCOPED  # the walk sees the routes
    routes = sorted(found - SCOPED)
    for route in routes:
        for method in ("get", "post", "patch", "delete"):
            response = getattr(client, method)(route, {}, format="json", **bearer(raw))
            assert response.status_code in (401, 403, 405), (route, method, response.status_code)


def test_the_notifications_api_takes_a_borrower_token_and_refuses_a_service_token(borrower):
    from tests.accounts.factories import borrower_token

    _, service_raw = service_token(scopes=list(ApiScope.values))
    _, borrower_raw = borrower_token(borrower)
    client = APIClient()
    refused = client.get("/api/v1/notifications/", **bearer(service_raw))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] in ("not_authenticated", "permission_denied")
    assert client.get("/api/v1/notifications/", **bearer(borrower_raw)).status_code == 200
