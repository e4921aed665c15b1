"""Issue 11: agents mark themselves away and back from the queue; errors in words (the
state quoted, no raw permission code); availability names the person."""

import pytest
from django.urls import reverse

from appeals import services
from appeals.models import AgentAvailability
from tests.appeals import factories as f
from tests.appeals.desk.test_case import act, page_text, signed_in

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:appeals_appeal_changelist")
ME = reverse("admin:appeals_agentavailability_me")


def test_an_agent_marks_themselves_away_and_back_from_the_queue(client):
    agent = f.agent()
    client = signed_in(client, agent)
    assert "Mark me away" in page_text(client.get(QUEUE))
    response = client.post(ME, {"away": "1", "next": QUEUE})
    assert response.status_code == 302 and response.url == QUEUE
    assert AgentAvailability.objects.get(agent=agent).away is True
    page = page_text(client.get(QUEUE))
    assert "You are away" in page and "Mark me available" in page
    # Away agents get no new appeals.
    appeal = f.submitted_appeal()
    assert appeal.assignee_id != agent.pk
    client.post(ME, {"away": "0"})
    assert AgentAvailability.objects.get(agent=agent).away is False


def test_only_people_who_work_appeals_have_the_toggle_and_others_stay_supervisors_work(client):
    auditor = f.auditor()
    client = signed_in(client, auditor)
    assert "Mark me away" not in page_text(client.get(QUEUE))
    assert client.post(ME, {"away": "1"}).status_code == 403
    assert not AgentAvailability.objects.filter(agent=auditor).exists()
    # An agent cannot set someone else away through the service either.
    with pytest.raises(services.AppealPermissionDenied):
        services.agent_set_away(agent=f.agent(), away=True, actor=f.agent())


def test_an_offsite_next_is_not_followed(client):
    client = signed_in(client, f.agent())
    response = client.post(ME, {"away": "1", "next": "https://example.org/"})
    assert response.url == QUEUE


def test_availability_names_the_person_and_their_state():
    agent = f.agent(full_name="Agent Lin")
    row = services.agent_set_away(agent=agent, away=True, actor=agent)
    assert str(row) == "Agent Lin: away"


def test_refusals_quote_the_state_and_name_no_permission_code(client):
    appeal = f.awaiting_appeal()
    client = signed_in(client, f.supervisor())
    services.appeal_withdraw(appeal=appeal, actor=appeal.borrower)
    response = act(client, appeal, "reassign", assignee=f.agent().pk, comment="平衡")
    page = page_text(response)
    assert "This appeal is now “Withdrawn”, so it cannot be reassigned." in page
    response = act(
        signed_in(client, f.agent()),
        f.in_review_appeal(),
        "decide",
        outcome="approve",
        comment="好",
    )
    page = page_text(response)
    assert "Your role does not allow you to decide appeals." in page
    assert "(decide_appeal)" not in page
