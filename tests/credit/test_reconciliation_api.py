"""GET /api/v1/decisions/?after= and GET /api/v1/credit-lines/{customer_id}/: the core system
catches up or verifies after an outage (service token with `decisions:read`)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiScope
from credit import services
from tests.accounts.factories import bearer, borrower_token, service_token
from tests.credit.factories import make_line

# Committed data: on PostgreSQL a page shows only decisions of transactions that have ended,
# and a test inside one open transaction would see none of its own.
pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/decisions/"


@pytest.fixture
def api(transactional_db):
    _, raw = service_token(name="core", scopes=[ApiScope.DECISIONS_READ])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def decide(line, outcome="freeze", **kw):
    return services.credit_line_decide(
        line=line, outcome=outcome, trigger="staff", reason_codes=["policy_adjustment"], **kw
    )


def read_all(api, limit=2):
    seen, cursor = [], None
    while True:
        params = {"limit": limit, **({"after": cursor} if cursor else {})}
        body = api.get(URL, params).json()
        seen += body["results"]
        if not body["results"]:
            return seen, body["next"]
        cursor = body["next"]


def test_pages_through_every_decision_once_in_order(api, django_assert_max_num_queries):
    lines = [make_line() for _ in range(3)]
    made = [decide(line).pk for line in lines] + [decide(lines[0], "reinstate").pk]

    seen, cursor = read_all(api, limit=2)

    assert [d["decision_id"] for d in seen] == made
    first = seen[0]
    assert first["credit_line_id"] == lines[0].pk
    assert first["customer_id"] == lines[0].borrower.customer_id
    assert (first["change"], first["old_status"], first["new_status"]) == (
        "freeze",
        "active",
        "frozen",
    )
    assert first["reason_codes"] == ["policy_adjustment"]
    # Later decisions come after the last cursor; earlier ones never again.
    later = decide(lines[1], "reinstate")
    with django_assert_max_num_queries(8):
        body = api.get(URL, {"after": cursor}).json()
    assert [d["decision_id"] for d in body["results"]] == [later.pk]


def test_a_cursor_it_never_gave_is_a_clear_error(api):
    response = api.get(URL, {"after": "not-a-cursor"})
    assert response.status_code == 400
    assert "after" in response.json()["error"]["fields"]
    assert api.get(URL, {"limit": "0"}).status_code == 400
    assert api.get(URL, {"limit": "many"}).json()["error"]["fields"]["limit"]


def test_only_a_token_with_the_scope_reads(borrower):
    _, ingest = service_token(name="bureau", scopes=[ApiScope.CREDIT_EVENTS_WRITE])
    _, own = borrower_token(borrower)
    assert APIClient().get(URL).status_code == 401
    assert APIClient().get(URL, **bearer(ingest)).status_code == 403
    assert APIClient().get(URL, **bearer(own)).status_code == 403
    line_url = f"/api/v1/credit-lines/{borrower.customer_id}/"
    assert APIClient().get(line_url, **bearer(own)).status_code == 403


def test_one_lines_present_state(api):
    line = make_line(credit_limit="20000.00", balance="1200.00")
    decide(line, "reduce_limit", new_limit=Decimal("9000.00"))

    body = api.get(f"/api/v1/credit-lines/{line.borrower.customer_id}/").json()

    assert body["credit_line_id"] == line.pk
    assert (body["status"], body["credit_limit"], body["balance"]) == (
        "active",
        "9000.00",
        "1200.00",
    )
    assert body["webhook_sequence"] == 1
    missing = api.get("/api/v1/credit-lines/NO-SUCH-CUSTOMER/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"]
