"""Bearer tokens: service tokens for upstream systems, borrower tokens for the borrower API."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts import roles
from accounts.authentication import BearerTokenAuthentication
from accounts.models import ApiScope, ApiToken, ApiTokenKind
from accounts.permissions import HasScope
from accounts.services import api_token_revoke
from tests.accounts.factories import bearer, borrower_token, service_token
from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


class BorrowerOnlyView(APIView):
    """Stands for every borrower endpoint: the project's default authentication and
    permission classes, nothing else."""

    def get(self, request):
        return Response({"user": request.user.pk})


class EventsLikeView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [HasScope(ApiScope.CREDIT_EVENTS_WRITE)]

    def post(self, request):
        return Response({"system": request.auth.name})


def call(view, method="get", **headers):
    # In English, whose wording these tests read; tests/api/test_error_language.py has zh.
    request = getattr(APIRequestFactory(), method)("/api/v1/test/", **headers)
    with translation.override("en"):
        response = view.as_view()(request)
        response.render()
    return response


# --- issuing -----------------------------------------------------------------------------


def test_issue_service_token_prints_the_token_once_and_stores_only_its_hash():
    out, err = StringIO(), StringIO()
    call_command(
        "issue_service_token",
        "--name",
        "core",
        "--scope",
        "borrowers:write",
        "credit-events:write",
        stdout=out,
        stderr=err,
    )
    raw = out.getvalue().strip()
    assert raw.startswith("rcs_") and len(raw) >= 40
    token = ApiToken.objects.get()
    assert token.kind == ApiTokenKind.SERVICE
    assert token.name == "core"
    assert token.scopes == ["borrowers:write", "credit-events:write"]
    assert raw.startswith(token.prefix) and len(token.prefix) == 12
    assert raw not in str(ApiToken.objects.values().get())
    assert "shown once" in err.getvalue()


def test_issue_service_token_refuses_an_unknown_scope():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("issue_service_token", "--name", "core", "--scope", "everything")
    assert not ApiToken.objects.exists()


def test_issue_service_token_refuses_a_blank_name():
    with pytest.raises(CommandError, match="name of its system"):
        call_command("issue_service_token", "--name", "  ", "--scope", "borrowers:write")
    assert not ApiToken.objects.exists()


def test_issue_service_token_with_expiry():
    out = StringIO()
    call_command(
        "issue_service_token",
        "--name",
        "bureau-feed",
        "--scope",
        "credit-events:write",
        "--expires-in-days",
        "90",
        stdout=out,
        stderr=StringIO(),
    )
    token = ApiToken.objects.get()
    assert token.expires_at - timezone.now() > timedelta(days=89)


def test_two_tokens_never_share_a_secret():
    _, one = service_token()
    _, two = service_token()
    assert one != two


# --- authenticating ------------------------------------------------------------------------


def test_service_token_with_the_scope_gets_in_and_its_use_is_recorded():
    token, raw = service_token(name="bureau-feed", scopes=[ApiScope.CREDIT_EVENTS_WRITE])
    response = call(EventsLikeView, "post", **bearer(raw))
    assert response.status_code == 200
    assert response.data == {"system": "bureau-feed"}
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(django_assert_num_queries):
    token, raw = service_token()
    call(EventsLikeView, "post", **bearer(raw))
    with django_assert_num_queries(1):  # the lookup only, no UPDATE
        call(EventsLikeView, "post", **bearer(raw))


def test_service_token_without_the_scope_is_forbidden():
    _, raw = service_token(scopes=[ApiScope.BORROWERS_WRITE])
    response = call(EventsLikeView, "post", **bearer(raw))
    assert response.status_code == 403
    assert "credit-events:write" in response.data["error"]["message"]


def test_borrower_token_never_reaches_a_scoped_endpoint(borrower):
    _, raw = borrower_token(borrower)
    response = call(EventsLikeView, "post", **bearer(raw))
    assert response.status_code == 403
    assert response.data["error"]["code"] == "permission_denied"


def test_a_signed_in_session_never_reaches_a_scoped_endpoint(client, staff_user):
    client.force_login(staff_user)
    response = call(EventsLikeView, "post")
    assert response.status_code == 401


def test_no_credentials_on_a_scoped_endpoint_is_401_with_a_challenge():
    response = call(EventsLikeView, "post")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.data["error"]["code"] == "not_authenticated"


def test_service_token_never_reaches_a_borrower_endpoint():
    _, raw = service_token()
    response = call(BorrowerOnlyView, **bearer(raw))
    assert response.status_code == 403


def test_borrower_token_acts_as_its_borrower(borrower):
    _, raw = borrower_token(borrower)
    response = call(BorrowerOnlyView, **bearer(raw))
    assert response.status_code == 200
    assert response.data == {"user": borrower.pk}


def test_default_authentication_keeps_the_session_and_adds_bearer():
    from rest_framework.settings import api_settings

    classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    # Bearer first (issue 15, finding 10): an anonymous call is 401 with a Bearer challenge.
    assert classes[0] is BearerTokenAuthentication
    assert SessionAuthentication in classes


def _revoked(borrower):
    token, raw = service_token()
    api_token_revoke(token=token, actor=None)
    return raw


def _expired(borrower):
    token, raw = borrower_token(borrower, lifetime=timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return raw


def _unknown(borrower):
    return "rcs_" + "A" * 43


def _inactive_borrower(borrower):
    _, raw = borrower_token(borrower)
    type(borrower).objects.filter(pk=borrower.pk).update(is_active=False)
    return raw


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        (_revoked, "revoked"),
        (_expired, "expired"),
        (_unknown, "Unknown token"),
        (_inactive_borrower, "not active"),
    ],
)
@pytest.mark.parametrize("view", [EventsLikeView, BorrowerOnlyView])
def test_bad_tokens_are_401_with_a_clear_message(borrower, make_token, message, view):
    raw = make_token(borrower)
    response = call(view, "post" if view is EventsLikeView else "get", **bearer(raw))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.data["error"]["code"] == "invalid_token"
    assert message in response.data["error"]["message"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer not-a-token", "Bearer rcs_short", "Bearer rcs_" + "é" * 40],
)
def test_malformed_authorization_is_401(header):
    response = call(BorrowerOnlyView, HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401
    assert "Malformed" in response.data["error"]["message"]


def test_other_authorization_schemes_are_left_to_other_authenticators():
    response = call(BorrowerOnlyView, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    # anonymous, as without the header: 401 with the Bearer challenge (issue 15, finding 10)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "Malformed" not in response.data["error"]["message"]


def test_revoking_twice_keeps_the_first_revocation(staff_user):
    token, _ = service_token()
    api_token_revoke(token=token, actor=staff_user)
    first = ApiToken.objects.get().revoked_at
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        api_token_revoke(token=token, actor=None)
    token.refresh_from_db()
    assert token.revoked_at == first and token.revoked_by == staff_user


# --- POST /api/v1/auth/token/ --------------------------------------------------------------


def test_borrower_exchanges_password_for_a_token_that_works(borrower):
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": borrower.email, "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["token"].startswith(body["prefix"])
    token = ApiToken.objects.get()
    assert token.kind == ApiTokenKind.BORROWER and token.user == borrower
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert call(BorrowerOnlyView, **bearer(body["token"])).data == {"user": borrower.pk}


def test_token_by_mobile_number(borrower):
    response = APIClient().post(
        TOKEN_URL, {"username": borrower.phone.as_e164, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201


def test_wrong_password_is_401_in_the_error_shape(borrower):
    english = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    response = english.post(TOKEN_URL, {"username": borrower.email, "password": "guess"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert "don't match" in response.json()["error"]["message"]
    assert not ApiToken.objects.exists()


def test_missing_fields_name_the_field():
    response = APIClient().post(TOKEN_URL, {"username": "x@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["password"]


def test_staff_do_not_get_api_tokens(staff_user):
    response = APIClient().post(TOKEN_URL, {"username": staff_user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "borrowers" in response.json()["error"]["message"]
    assert not ApiToken.objects.exists()


def test_token_endpoint_locks_out_like_the_sign_in_page(client, borrower):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    statuses = [
        api.post(TOKEN_URL, {"username": borrower.email, "password": "guess"}).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]  # the fifth wrong password locks
    locked = api.post(TOKEN_URL, {"username": borrower.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked.json()["error"]["code"] == "locked_out"
    assert "15 minutes" in locked.json()["error"]["message"]
    assert not ApiToken.objects.exists()
    # the same lock holds on the sign-in page
    page = client.post(reverse("login"), {"username": borrower.email, "password": PASSWORD})
    assert page.status_code == 429
    assert "_auth_user_id" not in client.session


def test_delete_revokes_the_borrower_token_in_use(borrower):
    token, raw = borrower_token(borrower)
    api = APIClient()
    assert api.delete(TOKEN_URL, **bearer(raw)).status_code == 204
    token.refresh_from_db()
    assert token.is_revoked and token.revoked_by == borrower
    assert api.delete(TOKEN_URL, **bearer(raw)).status_code == 401


def test_delete_without_a_token_is_401():
    assert APIClient().delete(TOKEN_URL).status_code == 401


def test_service_token_cannot_revoke_itself_through_the_api():
    token, raw = service_token()
    assert APIClient().delete(TOKEN_URL, **bearer(raw)).status_code == 403
    token.refresh_from_db()
    assert not token.is_revoked


# --- admin --------------------------------------------------------------------------------


def test_supervisor_revokes_tokens_from_the_admin_list(client):
    supervisor = StaffFactory(role=roles.SUPERVISOR)
    token, raw = service_token()
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.is_revoked and token.revoked_by == supervisor
    assert call(EventsLikeView, "post", **bearer(raw)).status_code == 401


def test_supervisor_revokes_a_token_from_its_page(client):
    supervisor = StaffFactory(role=roles.SUPERVISOR)
    token, _ = service_token()
    client.force_login(supervisor)
    url = reverse("admin:accounts_apitoken_change", args=[token.pk])
    page = client.get(url)
    assert raw_not_shown(page, token)
    response = client.post(url, {"revoke": "on"})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.is_revoked


def raw_not_shown(page, token) -> bool:
    body = page.content.decode()
    return token.prefix in body and token.key_hash not in body


def test_saving_a_token_page_without_revoke_changes_nothing(client):
    supervisor = StaffFactory(role=roles.SUPERVISOR)
    token, _ = service_token()
    client.force_login(supervisor)
    client.post(reverse("admin:accounts_apitoken_change", args=[token.pk]), {})
    token.refresh_from_db()
    assert not token.is_revoked


@pytest.mark.parametrize("role", [roles.AGENT, roles.REVIEWER])
def test_agents_and_reviewers_do_not_see_tokens(client, role):
    client.force_login(StaffFactory(role=role))
    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 403


def test_auditor_sees_tokens_but_cannot_revoke(client):
    auditor = StaffFactory(role=roles.AUDITOR)
    token, _ = service_token()
    client.force_login(auditor)
    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 200
    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    client.post(reverse("admin:accounts_apitoken_change", args=[token.pk]), {"revoke": "on"})
    token.refresh_from_db()
    assert not token.is_revoked


def test_supervisor_group_holds_token_permissions():
    group = Group.objects.get(name=roles.SUPERVISOR)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_apitoken", "change_apitoken"} <= codenames
    assert "delete_apitoken" not in codenames
