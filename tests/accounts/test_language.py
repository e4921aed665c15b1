import pytest
from django.urls import reverse

from tests.support import text

pytestmark = pytest.mark.django_db


def test_sign_in_page_speaks_both_languages(client):
    assert "登录" in client.get(reverse("login")).content.decode()
    client.cookies["recourse_language"] = "en"
    body = client.get(reverse("login")).content.decode()
    assert "Sign in" in body
    assert 'lang="en"' in body


def test_switching_language_sets_the_cookie_and_goes_back(client):
    response = client.post(reverse("set-language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response.url == "/login/"
    assert response.cookies["recourse_language"].value == "en"


def test_signed_in_borrower_keeps_the_language_for_messages(client, borrower):
    client.force_login(borrower)
    client.post(reverse("set-language"), {"language": "en"})
    borrower.refresh_from_db()
    assert borrower.preferred_language == "en"


def test_unknown_language_is_refused_and_changes_nothing(client, borrower):
    client.force_login(borrower)
    response = client.post(reverse("set-language"), {"language": "fr", "next": "/credit/"})
    assert response.status_code == 400
    assert "fr" in text(response)
    assert "recourse_language" not in response.cookies
    borrower.refresh_from_db()
    assert borrower.preferred_language == "zh-hans"


def test_next_url_to_another_site_is_ignored(client):
    response = client.post(
        reverse("set-language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_language_chosen_on_sign_in_page_becomes_the_preference(client, borrower):
    from tests.factories import PASSWORD

    client.cookies["recourse_language"] = "en"
    client.post(reverse("login"), {"username": borrower.email, "password": PASSWORD})
    borrower.refresh_from_db()
    assert borrower.preferred_language == "en"


def test_sign_in_without_a_choice_uses_the_saved_preference(client, borrower):
    from tests.factories import PASSWORD

    borrower.preferred_language = "en"
    borrower.save()
    response = client.post(reverse("login"), {"username": borrower.email, "password": PASSWORD})
    assert response.cookies["recourse_language"].value == "en"
    page = client.get(reverse("credit:my-credit"))
    assert "Hello" in text(page)
