"""Every route × every kind of caller → the answer it must get. Generated from the URL resolver:
a route without a rule below fails the build, so a new page or endpoint has to say who may
reach it. Callers: anonymous, borrower A on borrower B's objects, each staff role, a service
token of each scope. Each route is tried with GET and POST (its acts, not only its pages)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import rights
from accounts.models import ApiScope
from accounts.roles import AGENT, AUDITOR, REVIEWER, SUPERVISOR
from appeals import services as appeal_services
from notifications.models import Notification
from tests.accounts.factories import borrower_token, service_token
from tests.appeals import factories as f
from tests.appeals.files import pdf
from tests.credit.story import closing_line

pytestmark = pytest.mark.django_db

PUBLIC = "public"  # anyone; it must only never fail
BORROWER_PAGE = "borrower page"  # signed-in borrowers, each only their own objects
BORROWER_API = "borrower api"  # borrower tokens or sessions, each only their own objects
STAFF_ADMIN = "staff admin"  # the admin: staff only, by their role's permissions


@dataclass(frozen=True)
class Service:
    scope: str


RULES: dict[str, object] = {
    "healthz": PUBLIC,
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "api-auth-token": PUBLIC,
    "home": PUBLIC,
    "login": PUBLIC,
    "logout": PUBLIC,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "set-language": PUBLIC,
    "help": PUBLIC,
    # issue 14: the consent page and the policy documents (each borrower their own acceptances)
    "consent": BORROWER_PAGE,
    "policies": BORROWER_PAGE,
    "api-consents": BORROWER_API,
    "api-borrowers-upsert": Service(ApiScope.BORROWERS_WRITE),
    "api-credit-events": Service(ApiScope.CREDIT_EVENTS_WRITE),
    "api-decisions": Service(ApiScope.DECISIONS_READ),
    "api-credit-line-state": Service(ApiScope.DECISIONS_READ),
    # Open to local addresses (the test client's) or a configured bearer token; who else may
    # read it is tested in tests/test_metrics.py.
    "metrics": PUBLIC,
    "me-credit-line": BORROWER_API,
    "me-decisions": BORROWER_API,
    "notifications-list": BORROWER_API,
    "notifications-read": BORROWER_API,
    "notifications-preferences": BORROWER_API,
    "api-appeals": BORROWER_API,
    "api-appeal": BORROWER_API,
    "api-appeal-evidence": BORROWER_API,
    "api-appeal-evidence-file": BORROWER_API,
    "api-appeal-submit": BORROWER_API,
    "api-appeal-withdraw": BORROWER_API,
    "api-appeal-messages": BORROWER_API,
    "api-appeal-second-review": BORROWER_API,
    "api-appeal-survey": BORROWER_API,
    "credit:my-credit": BORROWER_PAGE,
    "appeals:list": BORROWER_PAGE,
    "appeals:start": BORROWER_PAGE,
    "appeals:detail": BORROWER_PAGE,
    "appeals:edit": BORROWER_PAGE,
    "appeals:add-evidence": BORROWER_PAGE,
    "appeals:evidence": BORROWER_PAGE,
    "appeals:reply": BORROWER_PAGE,
    "appeals:submit": BORROWER_PAGE,
    "appeals:withdraw": BORROWER_PAGE,
    "appeals:discard": BORROWER_PAGE,
    "appeals:support": BORROWER_PAGE,
    "appeals:support-new": BORROWER_PAGE,
    "appeals:support-detail": BORROWER_PAGE,
    "appeals:support-reply": BORROWER_PAGE,
    "appeals:second-review": BORROWER_PAGE,
    "appeals:survey": BORROWER_PAGE,
    "notifications:inbox": BORROWER_PAGE,
    "notifications:detail": BORROWER_PAGE,
    "notifications:read-all": BORROWER_PAGE,
    "notifications:preferences": BORROWER_PAGE,
    # issue 14: a copy of one's data, and deleting one's account
    "data-rights": BORROWER_PAGE,
    "data-export-download": BORROWER_PAGE,
    "account-delete": BORROWER_PAGE,
}


# Borrower API routes staff may read too (DESIGN: evidence "served only to its owner and
# authorised staff").
STAFF_MAY_READ = {
    "api/v1/appeals/<int:pk>/evidence/<int:evidence_pk>/",
    "appeals/<int:pk>/evidence/<int:evidence_pk>/",
}


def _routes(patterns=None, prefix="", namespace=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield prefix + str(pattern.pattern), name


ROUTES = sorted(set(_routes()), key=lambda r: (r[0], r[1] or ""))


def _rule(route: str, name: str | None):
    if name in ("admin:login", "admin:logout"):
        return PUBLIC
    if route.startswith("admin/"):
        return STAFF_ADMIN
    return RULES.get(name)


def test_every_route_has_a_rule():
    missing = [f"{route} ({name})" for route, name in ROUTES if _rule(route, name) is None]
    assert not missing, (
        "Routes without an access rule in tests/test_access_matrix.py:\n" + "\n".join(missing)
    )


def test_the_matrix_covers_the_api_schema():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    routes = {"/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r) for r, _ in ROUTES}
    for path in paths:
        assert re.sub(r"\{\w+\}", "{}", path) in {re.sub(r"\{\w+\}", "{}", r) for r in routes}


@pytest.fixture
def world():
    """Borrower B's objects (an appeal with evidence, a notice), borrower A, staff, tokens."""
    appeal_b = f.draft_appeal(line=closing_line())
    evidence_b = appeal_services.evidence_add(
        appeal=appeal_b, actor=appeal_b.borrower, upload=pdf("b.pdf")
    )
    appeal_b = appeal_services.appeal_submit(appeal=appeal_b, actor=appeal_b.borrower)
    notice_b = Notification.objects.filter(recipient=appeal_b.borrower).first()
    assert notice_b is not None
    support_b = appeal_services.support_request_open(
        borrower=appeal_b.borrower, subject="B's question", body="B's message"
    )
    export_b = rights.data_export_build(
        export_id=rights.data_export_request(person=appeal_b.borrower).pk
    )
    a = closing_line().borrower
    return {
        "ids": {
            "pk": appeal_b.pk,
            "evidence_pk": evidence_b.pk,
            "notice": notice_b.pk,
            "support_pk": support_b.pk,
            "export_id": export_b.pk,
            "kind": "pdf",
        },
        "a": a,
        "a_token": borrower_token(a)[1],
        "staff": {role: f.staff(role) for role in (AGENT, REVIEWER, SUPERVISOR, AUDITOR)},
        "service": {scope: service_token(name=scope, scopes=[scope])[1] for scope in ApiScope},
    }


def _url(route: str, name: str, ids: dict) -> str:
    def fill(match):
        key = match.group(1)
        if key == "pk" and name.startswith("notifications"):
            return str(ids["notice"])
        if key in ids:
            return str(ids[key])
        return {"uidb64": "MQ", "token": "set-password"}.get(key, "1")

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


def _callers(world):
    yield "anonymous", Client(), {}
    page = Client()
    page.force_login(world["a"])
    yield "borrower A (page)", page, {}
    yield "borrower A (token)", Client(), {"HTTP_AUTHORIZATION": f"Bearer {world['a_token']}"}
    for role, user in world["staff"].items():
        client = Client()
        client.force_login(user)
        yield f"staff {role}", client, {}
    for scope, raw in world["service"].items():
        yield f"service {scope}", Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _expected(rule, caller: str, route: str, method: str) -> set[int] | None:
    """The answers allowed for this caller; None: anything but a server error."""
    has_object = "<" in route
    if rule == PUBLIC:
        return None
    if rule == STAFF_ADMIN:
        if caller == f"staff {AUDITOR}":
            return {403}  # an add page: the auditor reads everything and changes nothing
        return {302, 403, 405}  # to the admin's sign-in, never the page
    if isinstance(rule, Service):
        if caller == f"service {rule.scope}":
            # in: only the body's shape (or, on a path with an id, whether it exists) is left
            return {200, 400, 404, 405, 415} if has_object else {200, 400, 405, 415}
        return {401, 403, 405}
    is_borrower = caller.startswith("borrower A")
    if rule == BORROWER_API:
        if caller == "anonymous":
            return {401}
        if is_borrower:
            return {404, 405} if has_object else None
        if caller.startswith("staff"):
            if route in STAFF_MAY_READ:
                return {200, 405}
            # a session reaches the API, but nothing of a borrower: their own (empty) lists
            return {404, 405} if has_object else {200, 400, 403, 404, 405}
        return {401, 403, 405}
    if rule == BORROWER_PAGE:
        if caller == "borrower A (page)":
            return {404, 405} if has_object else None
        if caller.startswith("staff"):
            if route in STAFF_MAY_READ:
                return {200, 405}
            # their own (empty) pages, never a borrower's object
            return {404, 405} if has_object else {200, 302, 403, 404, 405}
        # anonymous and bearer headers (no session): to the sign-in page; staff: not theirs
        return {302, 403, 404, 405}
    raise AssertionError(f"unknown rule {rule!r}")


def _skipped_in_admin(caller: str, name: str | None) -> bool:
    """In the admin, each role's reach is the roles' and the admin's own tests' concern; here:
    no one from outside gets in, and the auditor gets no add page. One service token stands
    for both scopes."""
    if caller == "service credit-events:write":
        return True
    if caller.startswith("staff"):
        return caller != f"staff {AUDITOR}" or not (name or "").endswith("_add")
    return False


def test_every_route_answers_every_caller_as_its_rule_says(world):
    wrong = []
    for route, name in ROUTES:
        rule = _rule(route, name)
        url = _url(route, name or "", world["ids"])
        methods = ("get",) if rule == STAFF_ADMIN else ("get", "post")
        for caller, client, headers in _callers(world):
            for method in methods:
                if rule == STAFF_ADMIN and _skipped_in_admin(caller, name):
                    continue
                response = getattr(client, method)(url, **headers)
                status = response.status_code
                allowed = _expected(rule, caller, route, method)
                if status >= 500 or (allowed is not None and status not in allowed):
                    wrong.append(f"{method.upper()} {url} as {caller}: {status}, want {allowed}")
                if status == 302 and allowed and 302 in allowed and not caller.startswith("staff"):
                    target = response["Location"]
                    if "login" not in target:
                        wrong.append(f"{method.upper()} {url} as {caller}: redirected to {target}")
    assert not wrong, "\n".join(wrong)
