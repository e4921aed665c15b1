"""A limit or status change from the core system (POST /api/v1/borrowers/) is a decision with
trigger `lender`: in the borrower's history, in the reconciliation API, and refused per item
when an open appeal holds the line."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiScope
from credit.models import CreditDecision, CreditLine
from tests.accounts.factories import bearer, borrower_token, service_token
from tests.appeals.factories import submitted_appeal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def core(transactional_db):
    _, raw = service_token(name="core", scopes=[ApiScope.BORROWERS_WRITE, ApiScope.DECISIONS_READ])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def item(customer_id="C-3001", **overrides):
    return {
        "customer_id": customer_id,
        "full_name": "钱芳",
        "email": f"{customer_id.lower()}@example.com",
        "credit_limit": "20000.00",
        **overrides,
    }


def send(core, *items):
    response = core.post("/api/v1/borrowers/", list(items), format="json")
    assert response.status_code == 200
    return response.json()["results"]


def test_a_lower_limit_is_a_decision_in_the_history_and_the_api(core):
    send(core, item())
    send(core, item(credit_limit="12000.00", reason_code="policy_adjustment"))

    line = CreditLine.objects.get(borrower__customer_id="C-3001")
    assert line.credit_limit == 12000
    decision = line.decisions.get()
    assert (decision.trigger, decision.outcome) == ("lender", "reduce_limit")
    assert [r.reason_code.code for r in decision.reasons_ranked] == ["policy_adjustment"]
    # The borrower's own history shows it.
    _, own = borrower_token(line.borrower)
    mine = APIClient().get("/api/v1/me/decisions/", **bearer(own)).json()
    assert str(decision.pk) in str(mine)
    # And the core system reads it back for reconciliation.
    pulled = core.get("/api/v1/decisions/").json()["results"]
    assert [(d["decision_id"], d["trigger"], d["new_limit"]) for d in pulled] == [
        (decision.pk, "lender", "12000.00")
    ]


def test_status_changes_are_decisions_and_closed_closes_at_once(core):
    send(core, item())
    send(core, item(status="frozen"))
    line = CreditLine.objects.get(borrower__customer_id="C-3001")
    assert line.status == "frozen"
    send(core, item(status="active", credit_limit="25000.00"))
    line.refresh_from_db()
    assert (line.status, line.credit_limit) == ("active", 25000)
    send(core, item(status="closed", credit_limit="25000.00", reason_code="policy_adjustment"))
    line.refresh_from_db()
    assert line.status == "closed"
    assert list(line.decisions.order_by("id").values_list("trigger", "outcome")) == [
        ("lender", "freeze"),
        ("lender", "reinstate"),
        ("lender", "close"),
    ]


def test_the_same_terms_again_make_no_decision(core):
    send(core, item())
    send(core, item(balance="300.00"))
    assert not CreditDecision.objects.exists()
    assert CreditLine.objects.get().balance == 300


def test_a_change_against_an_appeals_hold_is_refused_with_a_code(core):
    appeal = submitted_appeal()
    held = appeal.line
    customer = held.borrower.customer_id
    before = CreditDecision.objects.filter(line=held).count()

    results = send(
        core,
        item(
            customer,
            email=held.borrower.email,
            credit_limit=str(held.credit_limit),
            status="closed",
        ),
        item("C-3002"),
    )

    assert results[0]["status"] == "rejected"
    assert results[0]["code"] == "held_by_appeal"
    assert "appeal" in results[0]["reason"]
    assert results[1]["status"] == "created"  # the rest of the batch is applied
    held.refresh_from_db()
    assert held.status == "closing"
    assert CreditDecision.objects.filter(line=held).count() == before


def test_an_unknown_reason_code_changes_nothing(core):
    send(core, item())
    results = send(core, item(credit_limit="100.00", reason_code="no_such_code"))
    assert results[0]["status"] == "rejected"
    assert "no_such_code" in results[0]["reason"]
    assert CreditLine.objects.get().credit_limit == 20000
    assert not CreditDecision.objects.exists()
