import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, BorrowerFactory
from tests.support import text

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_borrower_signs_in_with_email_and_lands_on_my_credit(client, borrower):
    response = sign_in(client, borrower.email.upper(), PASSWORD)
    assert response.status_code == 302
    page = client.get(response.url, follow=True)
    assert page.resolver_match.view_name == "credit:my-credit"
    assert borrower.full_name in text(page)


@pytest.mark.parametrize("typed", ["+8613800000007", "13800000007", "138 0000 0007"])
def test_borrower_signs_in_with_mobile_number(client, typed):
    BorrowerFactory(phone="+8613800000007")
    response = sign_in(client, typed, PASSWORD)
    assert response.status_code == 302


def test_wrong_password_is_refused_with_a_clear_message(client, borrower):
    response = sign_in(client, borrower.email, "not the password")
    assert response.status_code == 200
    body = text(response)
    assert "不匹配" in body  # default language is Simplified Chinese
    assert "_auth_user_id" not in client.session


def test_wrong_password_message_in_english(client, borrower):
    client.cookies["recourse_language"] = "en"
    response = sign_in(client, borrower.email, "not the password")
    assert "don't match our records" in text(response)


def test_unknown_account_gets_the_same_message(client, db):
    client.cookies["recourse_language"] = "en"
    response = sign_in(client, "nobody@example.com", "whatever")
    assert "don't match our records" in text(response)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, borrower):
    for _ in range(5):
        sign_in(client, borrower.email, "guess")
    locked = sign_in(client, borrower.email, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    client.cookies["recourse_language"] = "en"
    again = sign_in(client, borrower.email, PASSWORD)
    assert "Sign-in is paused for 15 minutes" in text(again)


def test_lockout_is_per_account_not_global(client, borrower):
    other = BorrowerFactory()
    for _ in range(5):
        sign_in(client, borrower.email, "guess")
    assert sign_in(client, other.email, PASSWORD).status_code == 302


def test_sign_out_needs_a_post(client, borrower):
    client.force_login(borrower)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_pages_need_sign_in(client, db):
    for name in ("credit:my-credit", "appeals:list", "notifications:inbox"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_borrower_cannot_open_the_admin(client, borrower):
    client.force_login(borrower)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "员工" in text(response)
    # and the admin's own sign-in form refuses borrower credentials
    client.logout()
    response = client.post(
        "/admin/login/", {"username": borrower.email, "password": PASSWORD}, follow=True
    )
    assert "_auth_user_id" not in client.session


def test_staff_opens_the_admin(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/admin/").status_code == 200


def test_password_reset_by_email_link(client, borrower):
    client.cookies["recourse_language"] = "en"
    response = client.post(reverse("password_reset"), {"email": borrower.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [borrower.email]
    assert message.subject == "Set a new password for Recourse"
    assert message.alternatives, "the email has an HTML part"
    link = re.search(r"http://\S+/password-reset/\S+/", message.body).group(0)
    path = link.split("8000", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    new = "a brand new passphrase 42"
    done = client.post(form_page.request["PATH_INFO"], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    borrower.refresh_from_db()
    assert borrower.check_password(new)
    # the link works once
    assert not client.get(path, follow=True).context["validlink"]


def test_password_reset_for_unknown_email_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_email_is_unique_whatever_the_case(borrower):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email=borrower.email.upper(), full_name="x")
