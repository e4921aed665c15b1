"""POST /api/v1/credit-events/: each item accepted, duplicate or rejected on its own."""

import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiScope
from accounts.services import api_token_revoke
from credit import services as credit_services
from credit.ingestion.services import credit_events_ingest
from credit.models import CreditEvent
from tests.accounts.factories import bearer, borrower_token, service_token
from tests.credit.ingestion_factories import DATA_BY_KIND, borrower_with_line, event
from tests.factories import BorrowerFactory

URL = "/api/v1/credit-events/"
NOW = "2026-03-12T12:00:00+08:00"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reevaluations(monkeypatch):
    calls = []
    real = credit_services.reevaluation_request

    def spy(*, line_ids, trigger):
        calls.append((sorted(line_ids), trigger))
        return real(line_ids=line_ids, trigger=trigger)

    monkeypatch.setattr(credit_services, "reevaluation_request", spy)
    return calls


@pytest.fixture
def api(db):
    _, raw = service_token(name="core", scopes=[ApiScope.CREDIT_EVENTS_WRITE])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def customer(db):
    return borrower_with_line()


def post(api, items):
    return api.post(URL, items, format="json")


def stored_keys():
    return set(CreditEvent.objects.values_list("source", "external_id"))


# --- accepted ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_kind_is_accepted_and_stored_as_sent(api, customer, reevaluations):
    items = [event(customer.customer_id, f"ev-{kind}", kind) for kind in DATA_BY_KIND]
    response = post(api, items)
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"accepted": 8, "duplicate": 0, "rejected": 0}
    assert [r["status"] for r in body["results"]] == ["accepted"] * 8
    assert body["results"][0] == {"index": 0, "external_id": "ev-repayment", "status": "accepted"}
    line = customer.credit_line
    assert line.events.count() == 8
    overdue = CreditEvent.objects.get(kind="external_overdue")
    # amounts are normalised to two decimals
    assert overdue.data == {"days_past_due": 12, "amount": "800.50", "platform": "QuickLoan"}
    repayment = CreditEvent.objects.get(kind="repayment")
    assert repayment.occurred_at.isoformat() == "2026-03-10T01:30:00+00:00"
    assert repayment.received_at == timezone.now()
    assert reevaluations == [([line.pk], "event")]


@pytest.mark.django_db
def test_text_beyond_ascii_and_odd_offsets_are_stored_as_sent(api, reevaluations):
    """Keys, names and times arrive as the lender wrote them: other scripts and characters
    outside the basic plane, sub-second times, offsets of quarter hours and west of UTC."""
    customer = borrower_with_line(customer_id="客户-7")
    items = [
        event(
            customer.customer_id,
            "借据-1-𝔸",
            "external_loan_opened",
            occurred_at="2026-03-10T09:30:00.123456+05:45",
            data={"platform": "快贷 🚀", "loan_id": "贷-9", "amount": "3000"},
        ),
        event(
            customer.customer_id,
            "ev-west",
            "repayment",
            occurred_at="2026-03-09T22:15:00-03:30",
        ),
    ]
    assert post(api, items).json()["counts"]["accepted"] == 2
    opened = CreditEvent.objects.get(external_id="借据-1-𝔸")
    assert opened.line == customer.credit_line
    assert opened.data == {"platform": "快贷 🚀", "loan_id": "贷-9", "amount": "3000.00"}
    assert opened.occurred_at.isoformat() == "2026-03-10T03:45:00.123456+00:00"
    west = CreditEvent.objects.get(external_id="ev-west")
    assert west.occurred_at.isoformat() == "2026-03-10T01:45:00+00:00"


@pytest.mark.django_db
def test_unpaid_repayment_and_identity_document(api, customer):
    items = [
        event(customer.customer_id, "r1", data={**DATA_BY_KIND["repayment"], "paid_at": None}),
        event(customer.customer_id, "i1", "identity_expired", data={"document": "ID card"}),
        event(customer.customer_id, "i2", "identity_expired", data=None),
    ]
    assert post(api, items).json()["counts"]["accepted"] == 3
    assert CreditEvent.objects.get(external_id="r1").data["paid_at"] is None
    assert CreditEvent.objects.get(external_id="i1").data == {"document": "ID card"}


@pytest.mark.django_db
def test_occurred_at_within_five_minutes_of_clock_skew_is_accepted(api, customer):
    ahead = (timezone.now() + timedelta(minutes=4, seconds=59)).isoformat()
    response = post(api, [event(customer.customer_id, occurred_at=ahead)])
    assert response.json()["counts"]["accepted"] == 1


@pytest.mark.django_db
def test_events_for_many_lines_reevaluate_each_line_once(api, reevaluations):
    a, b = borrower_with_line(), borrower_with_line()
    items = [event(a.customer_id, "a1"), event(a.customer_id, "a2"), event(b.customer_id, "b1")]
    post(api, items)
    assert reevaluations == [(sorted([a.credit_line.pk, b.credit_line.pk]), "event")]


# --- rejected, one item at a time; the good items of the batch are kept -------------------


def _data(kind, **changes):
    data = dict(DATA_BY_KIND[kind])
    for key, value in changes.items():
        if value is KeyError:
            data.pop(key)
        else:
            data[key] = value
    return data


BAD_ITEMS = {
    "not an object": (lambda c: "ev-x", "not_an_object", "JSON object"),
    "a list": (lambda c: [c], "not_an_object", "JSON object"),
    "missing source": (lambda c: event(c, source=None), "missing_field", "source"),
    "missing external_id": (lambda c: event(c, external_id=""), "missing_field", "external_id"),
    "missing kind": (lambda c: {**event(c), "kind": None}, "missing_field", "kind"),
    "missing occurred_at": (
        lambda c: {k: v for k, v in event(c).items() if k != "occurred_at"},
        "missing_field",
        "occurred_at",
    ),
    "blank customer_id": (lambda c: event("   "), "missing_field", "customer_id"),
    "numeric external_id": (lambda c: event(c, external_id=42), "invalid_field", "string"),
    "too long external_id": (lambda c: event(c, external_id="x" * 129), "invalid_field", "128"),
    "NUL in external_id": (
        lambda c: event(c, external_id="ev\x00"),
        "invalid_field",
        "control characters",
    ),
    "NUL in platform": (
        lambda c: event(c, kind="external_loan_application", data={"platform": "Q\x00"}),
        "bad_data",
        "control characters",
    ),
    "year one": (
        lambda c: event(c, occurred_at="0001-01-01T00:00:00+08:00"),
        "invalid_field",
        "before 1970",
    ),
    "unknown field": (lambda c: {**event(c), "amount": "1"}, "unknown_field", "amount"),
    "unknown kind": (lambda c: {**event(c), "kind": "lottery_win"}, "unknown_kind", "lottery_win"),
    "unknown customer": (lambda c: event("NOBODY-1"), "unknown_customer", "NOBODY-1"),
    "naive datetime": (
        lambda c: event(c, occurred_at="2026-03-10T09:30:00"),
        "naive_datetime",
        "offset",
    ),
    "not a datetime": (lambda c: event(c, occurred_at="yesterday"), "invalid_field", "ISO-8601"),
    "future datetime": (
        lambda c: event(c, occurred_at="2026-03-12T12:06:00+08:00"),
        "future_datetime",
        "future",
    ),
    "data not an object": (lambda c: event(c, data=["x"]), "bad_data", "JSON object"),
    "missing amount": (
        lambda c: event(c, data=_data("repayment", amount=KeyError)),
        "bad_data",
        "data.amount: is required",
    ),
    "amount as a number": (
        lambda c: event(c, data=_data("repayment", amount=12.5)),
        "bad_data",
        "decimal string",
    ),
    "negative amount": (
        lambda c: event(c, data=_data("repayment", amount="-1.00")),
        "bad_data",
        "negative",
    ),
    "three decimals": (
        lambda c: event(c, data=_data("repayment", amount="1.005")),
        "bad_data",
        "at most 2 decimals",
    ),
    "exponent amount": (
        lambda c: event(c, data=_data("repayment", amount="1e3")),
        "bad_data",
        "decimal string",
    ),
    "huge amount": (
        lambda c: event(c, data=_data("repayment", amount="99999999999.00")),
        "bad_data",
        "larger",
    ),
    "not a date": (
        lambda c: event(c, data=_data("repayment", due_date="2026-02-30")),
        "bad_data",
        "not a real date",
    ),
    "paid_at missing": (
        lambda c: event(c, data=_data("repayment", paid_at=KeyError)),
        "bad_data",
        "paid_at: is required",
    ),
    "naive paid_at": (
        lambda c: event(c, data=_data("repayment", paid_at="2026-03-10T09:30:00")),
        "bad_data",
        "offset",
    ),
    "future paid_at": (
        lambda c: event(c, data=_data("repayment", paid_at="2026-04-01T00:00:00+08:00")),
        "bad_data",
        "future",
    ),
    "unknown data field": (
        lambda c: event(c, data=_data("repayment", note="hi")),
        "bad_data",
        "note",
    ),
    "zero days past due": (
        lambda c: event(
            c, kind="external_overdue", data=_data("external_overdue", days_past_due=0)
        ),
        "bad_data",
        "between 1 and 36500",
    ),
    "days past due as text": (
        lambda c: event(
            c, kind="external_overdue", data=_data("external_overdue", days_past_due="3")
        ),
        "bad_data",
        "whole number",
    ),
    "blank platform": (
        lambda c: event(c, kind="external_loan_application", data={"platform": " "}),
        "bad_data",
        "platform",
    ),
    "loan without loan_id": (
        lambda c: event(c, kind="external_loan_closed", data={"platform": "QuickLoan"}),
        "bad_data",
        "loan_id",
    ),
    "score too low": (
        lambda c: event(c, kind="bureau_score", data={"score": 299}),
        "bad_data",
        "between 300 and 950",
    ),
    "score too high": (
        lambda c: event(c, kind="bureau_score", data={"score": 951}),
        "bad_data",
        "between 300 and 950",
    ),
    "score as a boolean": (
        lambda c: event(c, kind="bureau_score", data={"score": True}),
        "bad_data",
        "whole number",
    ),
    "zero income": (
        lambda c: event(c, kind="income_verified", data={"monthly_income": "0.00"}),
        "bad_data",
        "more than 0",
    ),
    "identity with extra data": (
        lambda c: event(c, kind="identity_expired", data={"reason": "x"}),
        "bad_data",
        "reason",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_ITEMS, ids=list(BAD_ITEMS))
def test_a_bad_item_is_rejected_and_the_good_ones_are_kept(api, customer, case, reevaluations):
    make, code, reason_part = BAD_ITEMS[case]
    good_before = event(customer.customer_id, "good-1")
    good_after = event(customer.customer_id, "good-2", "bureau_score")
    bad = make(customer.customer_id)
    if isinstance(bad, dict) and bad.get("external_id") in ("good-1", "good-2"):
        bad["external_id"] = "bad-1"
    response = post(api, [good_before, bad, good_after])
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"accepted": 2, "duplicate": 0, "rejected": 1}
    rejected = body["results"][1]
    assert rejected["index"] == 1
    assert rejected["status"] == "rejected"
    assert rejected["code"] == code
    assert reason_part in rejected["reason"]
    assert stored_keys() == {("core", "good-1"), ("core", "good-2")}
    assert reevaluations == [([customer.credit_line.pk], "event")]


@pytest.mark.django_db
def test_a_customer_without_a_credit_line_is_rejected_with_what_to_do(api):
    lonely = BorrowerFactory()
    body = post(api, [event(lonely.customer_id)]).json()
    assert body["results"][0]["code"] == "no_credit_line"
    assert "/api/v1/borrowers/" in body["results"][0]["reason"]
    assert not CreditEvent.objects.exists()


@pytest.mark.django_db
def test_a_batch_of_only_bad_items_stores_nothing_and_reevaluates_nothing(
    api, customer, reevaluations
):
    response = post(api, [event("NOBODY"), {"kind": "x"}])
    assert response.json()["counts"] == {"accepted": 0, "duplicate": 0, "rejected": 2}
    assert not CreditEvent.objects.exists()
    assert reevaluations == []


@pytest.mark.django_db
def test_rejected_items_are_logged(api, customer, caplog):
    caplog.set_level("WARNING", logger="credit.ingestion")
    post(api, [event("NOBODY-7", "ev-77")])
    record = next(r for r in caplog.records if r.getMessage().startswith("credit_event.rejected"))
    assert record.external_id == "ev-77"
    assert record.reason_code == "unknown_customer"
    assert record.origin == "api:core"


# --- duplicates ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_already_stored_is_a_duplicate_and_is_not_overwritten(api, customer):
    post(api, [event(customer.customer_id, "ev-1")])
    changed = event(customer.customer_id, "ev-1", data=_data("repayment", amount="1.00"))
    body = post(api, [changed]).json()
    assert body["results"][0]["status"] == "duplicate"
    assert "Already stored" in body["results"][0]["reason"]
    assert CreditEvent.objects.get().data["amount"] == "1250.00"


@pytest.mark.django_db
def test_same_external_id_from_another_source_is_another_event(api, customer):
    items = [event(customer.customer_id, "ev-1"), event(customer.customer_id, "ev-1", source="bk")]
    assert post(api, items).json()["counts"]["accepted"] == 2


@pytest.mark.django_db
def test_a_repeat_within_the_batch_is_a_duplicate_of_the_first(api, customer):
    items = [
        event(customer.customer_id, "ev-1"),
        event(customer.customer_id, "ev-2"),
        event(customer.customer_id, "ev-1", kind="bureau_score"),
    ]
    body = post(api, items).json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted", "duplicate"]
    assert body["results"][2]["reason"] == "Repeats item 0 of this batch."
    assert CreditEvent.objects.get(external_id="ev-1").kind == "repayment"


@pytest.mark.django_db
def test_replaying_a_batch_answers_all_duplicate_and_changes_nothing(api, customer, reevaluations):
    items = [event(customer.customer_id, f"ev-{i}") for i in range(5)] + [event("NOBODY", "ev-x")]
    first = post(api, items).json()
    snapshot = list(CreditEvent.objects.order_by("pk").values())
    again = post(api, items).json()
    assert first["counts"] == {"accepted": 5, "duplicate": 0, "rejected": 1}
    assert again["counts"] == {"accepted": 0, "duplicate": 5, "rejected": 1}
    assert list(CreditEvent.objects.order_by("pk").values()) == snapshot
    assert len(reevaluations) == 1


# --- the request as a whole ---------------------------------------------------------------


@pytest.mark.django_db
def test_more_than_1000_items_is_refused_whole(api, customer):
    items = [event(customer.customer_id, f"ev-{i}") for i in range(1001)]
    response = post(api, items)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "1000" in error["fields"]["non_field_errors"][0]  # the most, in either language
    assert "1001" in error["fields"]["non_field_errors"][0]  # and how many were sent
    assert not CreditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"), [({"source": "core"}, "JSON array"), ([], "empty"), ("x", "JSON array")]
)
def test_the_body_must_be_a_non_empty_array(api, customer, body, message):
    response = api.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.json()["error"]["fields"]["non_field_errors"][0]


@pytest.mark.django_db
def test_wrong_content_type_is_415(api, customer):
    response = api.post(URL, "source=core", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not CreditEvent.objects.exists()


@pytest.mark.django_db
def test_malformed_json_is_400(api, customer):
    response = api.post(URL, '[{"source": "core",', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.django_db
def test_a_full_batch_takes_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    customers = [borrower_with_line() for _ in range(20)]
    items = [event(customers[i % 20].customer_id, f"ev-{i}") for i in range(1000)]
    # PostgreSQL: token lookup, last-used, savepoint and release, the temporary table, one
    # statement for lines, stored keys and the insert (its COPY is not counted), the job,
    # the feature states (2). SQLite: lines, stored keys, 2 INSERT chunks instead.
    with django_assert_max_num_queries(10):
        response = post(api, items)
    assert response.json()["counts"]["accepted"] == 1000


# --- who may send --------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_token_is_401(customer):
    response = APIClient().post(URL, [event(customer.customer_id)], format="json")
    assert response.status_code == 401
    assert not CreditEvent.objects.exists()


@pytest.mark.django_db
def test_revoked_token_is_401(customer):
    token, raw = service_token(scopes=[ApiScope.CREDIT_EVENTS_WRITE])
    api_token_revoke(token=token, actor=None)
    english = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    response = english.post(URL, [event(customer.customer_id)], format="json", **bearer(raw))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]
    assert not CreditEvent.objects.exists()


@pytest.mark.django_db
def test_wrong_scope_is_403(customer):
    _, raw = service_token(scopes=[ApiScope.BORROWERS_WRITE])
    response = APIClient().post(URL, [event(customer.customer_id)], format="json", **bearer(raw))
    assert response.status_code == 403
    assert "credit-events:write" in response.json()["error"]["message"]
    assert not CreditEvent.objects.exists()


@pytest.mark.django_db
def test_borrower_token_is_403(customer):
    _, raw = borrower_token(customer)
    response = APIClient().post(URL, [event(customer.customer_id)], format="json", **bearer(raw))
    assert response.status_code == 403
    assert not CreditEvent.objects.exists()


@pytest.mark.django_db
def test_a_staff_session_is_not_enough(client, customer, staff_user):
    client.force_login(staff_user)
    response = client.post(URL, json.dumps([event(customer.customer_id)]), "application/json")
    assert response.status_code == 401
    assert not CreditEvent.objects.exists()


# --- concurrency (PostgreSQL) -------------------------------------------------------------


@pytest.mark.postgres
# serialized_rollback: the flush after this test must not re-create content types under new
# ids, or the next serialized_rollback test (credit's re-evaluation jobs) can't restore them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_identical_batches_at_once_store_each_event_once():
    """The second request's pre-check can't see the first's uncommitted rows; its INSERT
    waits on the unique index, then stores nothing and answers duplicate."""
    customer = borrower_with_line()
    items = [event(customer.customer_id, f"ev-{i}") for i in range(50)]
    first_inserted, release = threading.Event(), threading.Event()
    reports = {}

    def first():
        from django.db import transaction

        try:
            with transaction.atomic():
                reports["first"] = credit_events_ingest(items=items, origin="test")
                first_inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def second():
        try:
            first_inserted.wait(timeout=30)
            reports["second"] = credit_events_ingest(items=items, origin="test")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_inserted.wait(timeout=30)
    _wait_for_a_blocked_insert()
    release.set()
    for thread in threads:
        thread.join(timeout=30)

    assert reports["first"].counts == {"accepted": 50}
    assert reports["second"].counts == {"duplicate": 50}
    assert "same time" in reports["second"].results[0].reason
    assert CreditEvent.objects.count() == 50


def _wait_for_a_blocked_insert(timeout: float = 20.0) -> None:
    """Poll PostgreSQL until the second request waits on the first one's lock."""
    import time

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                # Any lock wait of another session of this database: only the second
                # request can be waiting (the first is idle in its transaction). Not the
                # statement's text: its batch comes inline and pushes the INSERT past the
                # first 1,024 characters that pg_stat_activity keeps.
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("The second batch never waited on the first one's rows.")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "reviewer", "supervisor", "compliance auditor"])
def test_every_staff_role_may_view_events_and_none_may_change_them(role):
    from django.contrib.auth.models import Group

    codenames = set(
        Group.objects.get(name=role)
        .permissions.filter(content_type__app_label="credit")
        .values_list("codename", flat=True)
    )
    assert "view_creditevent" in codenames
    assert not {"add_creditevent", "change_creditevent", "delete_creditevent"} & codenames


@pytest.mark.django_db
def test_accepted_events_run_the_real_reevaluation_after_commit(
    api, customer, django_capture_on_commit_callbacks
):
    """No spy: the credit app's debounced re-evaluation runs (eagerly here) on commit."""
    from django.core.cache import cache

    cache.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(api, [event(customer.customer_id, "ev-1")])
    assert response.json()["counts"]["accepted"] == 1
    assert callbacks, "a re-evaluation was queued on commit"


@pytest.mark.django_db
def test_a_batch_of_unknown_customers_takes_a_fixed_number_of_queries(
    api, django_assert_max_num_queries
):
    lonely = BorrowerFactory()
    items = [event(f"NOBODY-{i}", f"ev-{i}") for i in range(500)]
    items += [event(lonely.customer_id, f"ev-l{i}") for i in range(500)]
    with django_assert_max_num_queries(10):
        body = post(api, items).json()
    assert body["counts"]["rejected"] == 1000
    assert {r["code"] for r in body["results"]} == {"unknown_customer", "no_credit_line"}
