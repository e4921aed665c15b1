"""Finding 2: a new password ends every borrower token and every other session."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.accounts.factories import bearer, borrower_token

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/credit-line/"


def _reaches_the_api(raw: str) -> bool:
    return APIClient().get(ME, **bearer(raw)).status_code != 401


def _reset_password_by_email(client, borrower, new: str) -> None:
    client.post(reverse("password_reset"), {"email": borrower.email})
    link = re.search(r"http://\S+/password-reset/\S+/", mail.outbox[-1].body).group(0)
    form_page = client.get(link.split("8000", 1)[1], follow=True)
    done = client.post(form_page.request["PATH_INFO"], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302


def test_password_reset_ends_every_borrower_token_and_other_session(borrower):
    _, first = borrower_token(borrower)
    _, second = borrower_token(borrower)
    assert _reaches_the_api(first) and _reaches_the_api(second)
    phone_session = Client()
    phone_session.force_login(borrower)
    assert phone_session.get(reverse("credit:my-credit")).status_code == 200

    _reset_password_by_email(Client(), borrower, "a brand new passphrase 42")

    assert not _reaches_the_api(first)
    assert not _reaches_the_api(second)
    assert ApiToken.objects.filter(user=borrower, revoked_at__isnull=True).count() == 0
    assert phone_session.get(reverse("credit:my-credit")).status_code == 302  # to sign-in


def test_a_password_change_anywhere_ends_the_tokens(borrower):
    _, raw = borrower_token(borrower)
    borrower.set_password("changed by the admin 77")
    borrower.save()
    assert not _reaches_the_api(raw)
    # and a token asked for with the new password works
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": borrower.email, "password": "changed by the admin 77"}
    )
    assert response.status_code == 201
    assert _reaches_the_api(response.json()["token"])


def test_saving_a_borrower_without_a_new_password_keeps_the_tokens(borrower):
    _, raw = borrower_token(borrower)
    borrower.full_name = "Renamed"
    borrower.save()
    assert _reaches_the_api(raw)


def test_deactivating_a_borrower_ends_the_tokens_for_good(borrower):
    _, raw = borrower_token(borrower)
    borrower.is_active = False
    borrower.save()
    borrower.is_active = True
    borrower.save()
    assert not _reaches_the_api(raw)
