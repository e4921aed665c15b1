"""Another borrower's appeal or file answers 404 on every page and API URL."""

import pytest
from django.urls import reverse

from appeals import services
from tests.appeals import factories as f
from tests.appeals.files import pdf
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim():
    appeal = f.draft_appeal()
    item = services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf())
    return appeal, item


PAGE_GETS = ["detail", "edit"]
PAGE_POSTS = ["add-evidence", "reply", "submit", "withdraw", "second-review", "survey"]
API_GETS = ["api-appeal", "api-appeal-evidence", "api-appeal-messages"]
API_POSTS = [
    "api-appeal-evidence",
    "api-appeal-submit",
    "api-appeal-withdraw",
    "api-appeal-messages",
    "api-appeal-second-review",
    "api-appeal-survey",
]


def test_every_page_url_of_another_borrowers_appeal_is_404(client, victim):
    appeal, item = victim
    client.force_login(BorrowerFactory())
    for name in PAGE_GETS:
        assert client.get(reverse(f"appeals:{name}", args=[appeal.pk])).status_code == 404, name
    for name in PAGE_POSTS:
        response = client.post(reverse(f"appeals:{name}", args=[appeal.pk]), {"body": "x"})
        assert response.status_code == 404, name
    url = reverse("appeals:evidence", args=[appeal.pk, item.pk])
    assert client.get(url).status_code == 404
    appeal.refresh_from_db()
    assert appeal.status == "draft"


def test_every_api_url_of_another_borrowers_appeal_is_404(client, victim):
    appeal, item = victim
    client.force_login(BorrowerFactory())
    for name in API_GETS:
        response = client.get(reverse(name, args=[appeal.pk]))
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "not_found"
    response = client.patch(
        reverse("api-appeal", args=[appeal.pk]),
        {"grounds": ["other"], "statement": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    for name in API_POSTS:
        assert client.post(reverse(name, args=[appeal.pk]), {}).status_code == 404, name
    url = reverse("api-appeal-evidence-file", args=[appeal.pk, item.pk])
    assert client.get(url).status_code == 404
    appeal.refresh_from_db()
    assert appeal.status == "draft"
    assert appeal.evidence.count() == 1


def test_a_file_is_only_reached_through_its_own_appeal(client, victim):
    appeal, item = victim
    mine = f.draft_appeal()
    client.force_login(mine.borrower)
    # my appeal id with their file id
    assert client.get(reverse("appeals:evidence", args=[mine.pk, item.pk])).status_code == 404
    assert (
        client.get(reverse("api-appeal-evidence-file", args=[mine.pk, item.pk])).status_code == 404
    )


def test_another_borrowers_decision_cannot_be_appealed_through_the_api_or_page(client, victim):
    appeal, _ = victim
    client.force_login(BorrowerFactory())
    response = client.post(
        reverse("api-appeals"), {"decision_id": appeal.decision_id}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "decision_id" in response.json()["error"]["fields"]
    assert (
        client.get(reverse("appeals:start") + f"?decision={appeal.decision_id}").status_code == 404
    )


def test_signed_out_visitors_are_sent_to_sign_in(client, victim):
    appeal, item = victim
    assert client.get(reverse("appeals:detail", args=[appeal.pk])).status_code == 302
    assert client.get(reverse("appeals:evidence", args=[appeal.pk, item.pk])).status_code == 302
    assert client.get(reverse("api-appeal", args=[appeal.pk])).status_code in (401, 403)
