"""Finding 8: throttles beyond the per-account lock — sign-in attempts per client address
(page and token endpoint together), reset emails per person and per address, and the client
address read from a trusted proxy's header only."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from config.ratelimits import client_address
from tests.factories import PASSWORD, BorrowerFactory

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_counts(settings):
    settings.SIGN_IN_RATE_PER_ADDRESS = "10/10m"
    settings.PASSWORD_RESET_RATE_PER_EMAIL = "3/h"
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "10/h"
    cache.clear()
    yield
    cache.clear()


def test_many_names_from_one_address_are_throttled_on_the_token_endpoint(db):
    api = APIClient()
    statuses = [
        api.post(TOKEN_URL, {"username": f"n{i}@example.com", "password": "x"}).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    body = api.post(TOKEN_URL, {"username": "a@example.com", "password": "x"}).json()
    assert body["error"]["code"] == "throttled"


def test_the_address_limit_is_shared_by_the_page_and_the_api_and_spares_other_addresses(client):
    borrower = BorrowerFactory()
    for i in range(10):
        client.post(reverse("login"), {"username": f"n{i}@example.com", "password": "x"})
    page = client.post(reverse("login"), {"username": borrower.email, "password": PASSWORD})
    assert page.status_code == 429
    assert "_auth_user_id" not in client.session
    api = APIClient()
    assert (
        api.post(TOKEN_URL, {"username": borrower.email, "password": PASSWORD}).status_code == 429
    )
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.7")
    answer = elsewhere.post(TOKEN_URL, {"username": borrower.email, "password": PASSWORD})
    assert answer.status_code == 201
    assert ApiToken.objects.count() == 1


def test_twenty_reset_requests_send_three_emails_and_reveal_nothing(client, borrower):
    answers = [
        client.post(
            reverse("password_reset"), {"email": borrower.email}, REMOTE_ADDR=f"203.0.113.{i}"
        )
        for i in range(20)
    ]
    assert {a.status_code for a in answers} == {302}  # the same answer every time
    assert len(mail.outbox) == 3


def test_reset_requests_from_one_address_are_throttled(client, db):
    answers = [
        client.post(reverse("password_reset"), {"email": f"p{i}@example.com"}).status_code
        for i in range(12)
    ]
    assert answers[:10] == [302] * 10 and answers[10:] == [429, 429]


def test_the_client_address_comes_from_the_trusted_proxy_only(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9"
    )
    assert client_address(request) == "10.0.0.5"  # no proxy configured: the header is ignored
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.0/8"]
    assert client_address(request) == "203.0.113.9"  # what our proxy saw, not what was claimed
    stranger = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(stranger) == "192.0.2.1"  # a header from outside the proxy: ignored


def test_clients_behind_the_proxy_are_counted_apart(settings, db):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_ADDRESSES = ["127.0.0.0/8"]
    first = APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1")
    for i in range(10):
        first.post(TOKEN_URL, {"username": f"n{i}@example.com", "password": "x"})
    assert first.post(TOKEN_URL, {"username": "z@example.com", "password": "x"}).status_code == 429
    second = APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert second.post(TOKEN_URL, {"username": "z@example.com", "password": "x"}).status_code == 401
