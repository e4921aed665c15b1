"""`/api/v1/me/credit-line/` and `/api/v1/me/decisions/` answer only about the caller."""

import pytest

from tests.credit.story import active_line, closing_line
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

LINE_URL = "/api/v1/me/credit-line/"
DECISIONS_URL = "/api/v1/me/decisions/"


def test_own_line_with_reasons_in_the_requested_language(client, sent_notices):
    line = closing_line(days_ago=7)
    client.force_login(line.borrower)
    data = client.get(LINE_URL, HTTP_ACCEPT_LANGUAGE="en").json()
    assert data["status"] == "closing"
    assert data["credit_limit"] == "20000.00"
    assert data["available"] == "17000.00"
    assert data["days_left"] == 23
    assert data["closure_held"] is False
    assert data["repayment_record"] == {"due": 10, "on_time": 10}
    reasons = data["explaining_decision"]["reasons"]
    assert reasons[0]["category"] == "multi_lending"
    assert [r["rank"] for r in reasons] == list(range(1, len(reasons) + 1))
    assert data["explaining_decision"]["appealable"] is True
    zh = client.get(LINE_URL, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert zh["explaining_decision"]["reasons"][0]["title"] != reasons[0]["title"]


def test_each_borrower_sees_only_their_own_line(client, sent_notices):
    mine = active_line()
    closing_line()  # another borrower, with a decision
    client.force_login(mine.borrower)
    data = client.get(LINE_URL).json()
    assert data["status"] == "active"
    assert data["credit_limit"] == "15000.00"
    decisions = client.get(DECISIONS_URL).json()
    assert decisions["count"] == 0


def test_decisions_list_newest_first(client, sent_notices):
    line = closing_line()
    client.force_login(line.borrower)
    data = client.get(DECISIONS_URL).json()
    assert data["count"] == 1
    assert data["results"][0]["outcome"] == "schedule_closure"


def test_no_line_answers_404_in_the_error_shape(client):
    client.force_login(BorrowerFactory())
    response = client.get(LINE_URL)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_is_refused(client):
    response = client.get(LINE_URL)
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_query_count_is_bounded(client, sent_notices, django_assert_max_num_queries):
    line = closing_line()
    client.force_login(line.borrower)
    with django_assert_max_num_queries(10):
        client.get(DECISIONS_URL)
