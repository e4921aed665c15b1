"""Finding 1: the lockout counts per account, whatever spelling of the sign-in name found it,
on the sign-in page and on the token endpoint alike."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import PASSWORD, BorrowerFactory

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
SPELLINGS = [
    "LI.WEI@EXAMPLE.COM",
    " li.wei@example.com ",
    "+8613800001001",
    "13800001001",
    "138 0000 1001",
]


@pytest.fixture
def li_wei(db):
    return BorrowerFactory(email="li.wei@example.com", phone="+8613800001001")


def _fail_five_times(client):
    for _ in range(5):
        client.post(reverse("login"), {"username": "li.wei@example.com", "password": "guess"})


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_another_spelling_of_a_locked_account_stays_locked_on_the_page(client, li_wei, spelling):
    _fail_five_times(client)
    response = client.post(reverse("login"), {"username": spelling, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_another_spelling_of_a_locked_account_gets_no_token(client, li_wei, spelling):
    _fail_five_times(client)
    response = APIClient().post(TOKEN_URL, {"username": spelling, "password": PASSWORD})
    assert response.status_code == 429
    assert not ApiToken.objects.exists()


def test_failures_under_mixed_spellings_add_up_to_one_lock(client, li_wei):
    for spelling in SPELLINGS:  # five wrong passwords, five spellings
        client.post(reverse("login"), {"username": spelling, "password": "guess"})
    response = client.post(
        reverse("login"), {"username": "li.wei@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429


def test_a_locked_account_does_not_lock_its_neighbours(client, li_wei):
    other = BorrowerFactory(email="wang.fang@example.com", phone="+8613800001002")
    _fail_five_times(client)
    response = client.post(reverse("login"), {"username": "13800001002", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)
