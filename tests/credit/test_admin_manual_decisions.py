"""A supervisor decides a line by hand in the admin: recorded as a staff decision, told."""

from decimal import Decimal

import pytest
from django.urls import reverse

from credit.models import CreditLineStatus
from tests.credit.services.support import clean_line
from tests.factories import StaffFactory
from tests.support import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies["recourse_language"] = "en"
    return client


def decide(client, line, **data):
    values = {"outcome": "freeze", "reason_codes": ["policy_adjustment"], "comment": "Review"}
    values.update(data)
    return client.post(reverse("admin:credit_creditline_decide", args=[line.pk]), values)


def test_a_supervisor_pauses_a_line_by_hand_and_the_borrower_is_told(client, clock, sent_notices):
    line = clean_line()
    supervisor = StaffFactory(role="supervisor")
    client.force_login(supervisor)
    page = text(client.get(reverse("admin:credit_creditline_change", args=[line.pk])))
    assert "Decide by hand" in page

    response = decide(client, line, comment="Customer asked us to pause the line.")
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == CreditLineStatus.FROZEN
    (decision,) = line.decisions.all()
    assert (decision.trigger, decision.actor, decision.note) == (
        "staff",
        supervisor,
        "Customer asked us to pause the line.",
    )
    assert [r.reason_code.code for r in decision.reasons_ranked] == ["policy_adjustment"]
    assert [n["event"] for n in sent_notices] == ["credit.frozen"]


def test_a_reduction_without_a_lower_limit_is_refused_and_nothing_changes(
    client, clock, sent_notices
):
    line = clean_line()
    client.force_login(StaffFactory(role="supervisor"))
    response = decide(client, line, outcome="reduce_limit", new_limit="25000.00")
    assert response.status_code == 200
    assert "Give a new limit below the current one." in text(response)
    line.refresh_from_db()
    assert (line.status, line.credit_limit) == (CreditLineStatus.ACTIVE, Decimal("20000.00"))
    assert not line.decisions.exists()
    assert len(sent_notices) == 0


def test_an_agent_may_not_decide_by_hand(client, clock):
    line = clean_line()
    client.force_login(StaffFactory(role="agent"))
    assert decide(client, line).status_code == 403
    page = text(client.get(reverse("admin:credit_creditline_change", args=[line.pk])))
    assert "Decide by hand" not in page
    assert not line.decisions.exists()
