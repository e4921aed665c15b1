"""In the browser: a borrower created by the core system chooses a password from the email
and signs in; a supervisor revokes an upstream system's token in the admin."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import ApiScope, ApiToken
from tests.accounts.factories import bearer, service_token
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import PASSWORD, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "button", "subject"),
    [
        ("zh-hans", "中文", "设置您的 Recourse 登录密码"),
        ("en", "EN", "Set your password for Recourse"),
    ],
)
def test_a_new_borrower_chooses_a_password_from_the_email(new_page, language, button, subject):
    _, raw = service_token(scopes=[ApiScope.BORROWERS_WRITE])
    response = APIClient().post(
        "/api/v1/borrowers/",
        {
            "customer_id": "C-7001",
            "full_name": "周宁",
            "email": "zhou.ning@example.com",
            "phone": "+8613800007001",
            "language": language,
            "credit_limit": "12000.00",
            "balance": "0",
        },
        format="json",
        **bearer(raw),
    )
    assert response.json()["results"][0]["status"] == "created"
    assert mail.outbox[0].subject == subject
    path = re.search(r"https?://[^/\s]+(/password-reset/\S+/)", mail.outbox[0].body).group(1)

    page = new_page(viewport=PHONE, language=language)
    page.goto(path)
    new_password = "a fresh passphrase 7001"
    page.locator("#id_new_password1").fill(new_password)
    page.locator("#id_new_password2").fill(new_password)
    screenshot(page, f"ingestion-choose-password-phone-{language}")
    page.locator("button.button--block[type=submit]").click()
    page.goto("/login/")
    page.locator("#id_username").fill("13800007001")
    page.locator("#id_password").fill(new_password)
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("周宁")
    screenshot(page, f"ingestion-first-sign-in-phone-{language}")
    assert page.console_errors == []


@pytest.mark.parametrize(("viewport", "tag"), [(DESKTOP, "desktop"), (PHONE, "phone")])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_supervisor_revokes_a_token_in_the_admin(new_page, viewport, tag, language):
    roles.sync_staff_groups()  # a transactional test starts with the groups flushed
    StaffFactory(email="sup@example.com", role=roles.SUPERVISOR)
    token, _ = service_token(name="bureau-feed")
    page = new_page(viewport=viewport, language=language)
    page.goto("/admin/login/")
    page.locator("#id_username").fill("sup@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto("/admin/accounts/apitoken/")
    expect(page.get_by_text(token.prefix)).to_be_visible()
    screenshot(page, f"ingestion-admin-tokens-{tag}-{language}")
    page.get_by_role("link", name=re.compile(token.prefix)).click()
    page.locator("#id_revoke").check()
    screenshot(page, f"ingestion-admin-token-page-{tag}-{language}")
    page.locator("input[name=_save]").click()
    token.refresh_from_db()
    assert token.revoked_at is not None
    screenshot(page, f"ingestion-admin-tokens-revoked-{tag}-{language}")
    assert ApiToken.objects.get().revoked_by.email == "sup@example.com"
