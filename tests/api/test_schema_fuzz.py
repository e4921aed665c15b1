"""Schemathesis against /api/schema/: every operation, as a borrower and as a service token,
with every check (no 5xx, responses match the schema, every status documented). Seeded
(derandomized) and bounded (SCHEMATHESIS_MAX_EXAMPLES cases per operation), so it fits in CI."""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from tests.accounts.factories import borrower_token, service_token
from tests.appeals import factories as f
from tests.credit.story import closing_line

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))

pytestmark = pytest.mark.django_db


def _check_every_operation(new_token) -> list[str]:
    """Fuzz each operation with a fresh token from `new_token()`: DELETE /auth/token/ revokes
    the token it is called with, and every later operation would only see 401s."""
    # Requests go through the WSGI handler, which closes the database connection after each
    # one; the test's transaction must outlive them (Django's test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        return _fuzz_all(new_token)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz_all(new_token) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, "the schema lists the API's operations"
    for operation in operations:
        try:
            _fuzz(operation, f"Bearer {new_token()}")
        except BaseException as exc:  # noqa: BLE001 - every operation is tried; all reported
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures


def _fuzz(operation, authorization: str) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        # Two checks are left out. ignored_auth replays the case with its own credentials,
        # but ours are fixed headers it cannot take away; who may call what is the access
        # matrix's job (tests/test_access_matrix.py). positive_data_acceptance wants 2xx for
        # any well-formed body, but a well-formed body can still name a decision that is not
        # the caller's or a wrong password: those are documented 400/401 answers.
        case.call_and_validate(
            headers={"Authorization": authorization},
            excluded_checks=[ignored_auth, positive_data_acceptance],
        )

    run()


@pytest.fixture
def borrower_with_an_appeal():
    return f.draft_appeal(line=closing_line()).borrower


def test_every_operation_keeps_its_contract_for_a_borrower(borrower_with_an_appeal):
    failures = _check_every_operation(lambda: borrower_token(borrower_with_an_appeal)[1])
    assert not failures, "\n\n".join(failures)


def test_every_operation_keeps_its_contract_for_a_service_token(borrower_with_an_appeal):
    failures = _check_every_operation(lambda: service_token()[1])
    assert not failures, "\n\n".join(failures)
