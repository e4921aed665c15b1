"""/api/v1/appeals/: list/create, detail, evidence, submit, withdraw, messages, second review,
survey. One error shape; bad input changes nothing; creation is rate-limited."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from appeals import services
from appeals.models import Appeal
from tests.appeals import factories as f
from tests.appeals.files import pdf, upload
from tests.credit.story import closing_line

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_the_whole_borrower_flow_through_the_api(client):
    line = closing_line()
    client.force_login(line.borrower)
    decision = f.latest_decision(line)
    created = _post(
        client,
        reverse("api-appeals"),
        {"decision_id": decision.pk, "grounds": ["closed_other_loans"], "statement": "已结清"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["grounds"] == ["closed_other_loans"]
    pk = body["id"]
    uploaded = client.post(reverse("api-appeal-evidence", args=[pk]), {"file": pdf()})
    assert uploaded.status_code == 201
    assert len(uploaded.json()["sha256"]) == 64
    submitted = _post(client, reverse("api-appeal-submit", args=[pk]))
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["first_response_due"] and submitted.json()["resolution_due"]
    message = _post(client, reverse("api-appeal-messages", args=[pk]), {"body": "补充说明"})
    assert message.status_code == 201 and message.json()["author"] == "borrower"
    listed = client.get(reverse("api-appeals")).json()
    assert [a["id"] for a in listed["results"]] == [pk]
    withdrawn = _post(client, reverse("api-appeal-withdraw", args=[pk]))
    assert withdrawn.json()["status"] == "withdrawn"
    assert [t["to_status"] for t in withdrawn.json()["transitions"]] == [
        "draft",
        "submitted",
        "withdrawn",
    ]


def test_second_review_and_survey_through_the_api(client):
    appeal = f.denied_appeal()
    client.force_login(appeal.borrower)
    survey = _post(client, reverse("api-appeal-survey", args=[appeal.pk]), {"rating": 2})
    assert survey.status_code == 200 and survey.json()["survey_answered"] is True
    review = _post(
        client, reverse("api-appeal-second-review", args=[appeal.pk]), {"statement": "请复核"}
    )
    assert review.status_code == 200 and review.json()["status"] == "second_review"


def test_validation_errors_name_the_field_and_change_nothing(client):
    appeal = f.draft_appeal(grounds=(), statement="")
    client.force_login(appeal.borrower)
    response = _post(client, reverse("api-appeal-submit", args=[appeal.pk]))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {"grounds", "statement"} <= set(error["fields"])
    bad_survey = _post(client, reverse("api-appeal-survey", args=[appeal.pk]), {"rating": 9})
    assert "rating" in bad_survey.json()["error"]["fields"]
    bad_ground = _post(
        client,
        reverse("api-appeals"),
        {"decision_id": appeal.decision_id, "grounds": ["because"]},
    )
    assert "grounds" in bad_ground.json()["error"]["fields"]
    bad_file = client.post(
        reverse("api-appeal-evidence", args=[appeal.pk]), {"file": upload("x.pdf", b"")}
    )
    assert bad_file.status_code == 400 and "file" in bad_file.json()["error"]["fields"]
    appeal.refresh_from_db()
    assert appeal.status == "draft" and appeal.evidence.count() == 0
    assert Appeal.objects.count() == 1


def test_wrong_state_is_a_clear_400(client):
    appeal = f.submitted_appeal()
    client.force_login(appeal.borrower)
    response = _post(client, reverse("api-appeal-submit", args=[appeal.pk]))
    assert response.status_code == 400
    assert "cannot be" in str(response.json()) or "无法" in str(response.json())


def test_creating_appeals_is_rate_limited(client, settings):
    settings.APPEAL_CREATE_RATE = "2/h"
    line = closing_line()
    client.force_login(line.borrower)
    decision = f.latest_decision(line)
    for _ in range(2):
        created = _post(client, reverse("api-appeals"), {"decision_id": decision.pk})
        assert created.status_code == 201
        services.appeal_withdraw(
            appeal=Appeal.objects.get(pk=created.json()["id"]), actor=line.borrower
        )
    response = _post(client, reverse("api-appeals"), {"decision_id": decision.pk})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert Appeal.objects.count() == 2


def test_list_and_detail_keep_their_query_count(client, django_assert_max_num_queries):
    appeal = f.awaiting_appeal()
    worker = f.agent()
    for _ in range(3):
        services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf())
        services.appeal_staff_message(appeal=appeal, actor=worker, body="x", internal=False)
    client.force_login(appeal.borrower)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("api-appeals")).status_code == 200
    # the appeal, its decision's reasons with their codes and the wording each was made with
    # (one prefetch), evidence, extensions, transitions: constant in the thread's length
    with django_assert_max_num_queries(7):
        assert client.get(reverse("api-appeal", args=[appeal.pk])).status_code == 200
    with django_assert_max_num_queries(10):  # the scoped appeal read, then one for the thread
        assert client.get(reverse("api-appeal-messages", args=[appeal.pk])).status_code == 200


def test_the_schema_lists_the_appeal_endpoints(client):
    client.force_login(f.agent())
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/appeals/", "/submit/", "/second-review/", "/survey/", "/evidence/"):
        assert path in text
