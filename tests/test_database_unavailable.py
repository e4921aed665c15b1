"""A lost database answers 503 with Retry-After (JSON under /api/, the static page elsewhere),
never 500; any other error stays a 500. The fault test with a real PostgreSQL stopped under
load is tests/faults/test_postgres_restart.py."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import borrower_token_issue
from tests.accounts.factories import bearer

pytestmark = pytest.mark.django_db


def _database_lost(*args, **kwargs):
    raise OperationalError("consuming input failed: server closed the connection unexpectedly")


def _bug(*args, **kwargs):
    raise KeyError("a plain bug")


@pytest.fixture
def page_client(borrower):
    client = Client(raise_request_exception=False)
    client.force_login(borrower)
    return client


def test_a_page_whose_database_is_lost_answers_503_with_the_unavailable_page(
    page_client, monkeypatch
):
    monkeypatch.setattr("credit.views.my_credit_for_borrower", _database_lost)
    answer = page_client.get("/credit/")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    page = answer.content.decode()
    assert "Briefly unavailable" in page and "暂时无法服务" in page


def test_the_api_answers_503_in_its_error_shape(borrower, monkeypatch):
    _, raw = borrower_token_issue(user=borrower)
    monkeypatch.setattr("credit.me_api.credit_overview_for_borrower", _database_lost)
    client = APIClient(raise_request_exception=False)
    answer = client.get("/api/v1/me/credit-line/", **bearer(raw))
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    assert answer.json()["error"]["code"] == "service_unavailable"


def test_a_connection_lost_in_a_middleware_is_503_too(page_client, monkeypatch):
    def lost(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr("accounts.middleware.BorrowerTimezoneMiddleware.__call__", lost)
    answer = page_client.get("/credit/")
    assert answer.status_code == 503


def test_any_other_error_stays_a_500(page_client, monkeypatch):
    monkeypatch.setattr("credit.views.my_credit_for_borrower", _bug)
    answer = page_client.get("/credit/")
    assert answer.status_code == 500
    assert "Retry-After" not in answer
