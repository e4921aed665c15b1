"""On PostgreSQL ingestion sends a batch by COPY into a temporary table (it used to send one
array per column): values that mean something to COPY's text format or inside an array literal
(quotes, commas, braces, backslashes, tabs' neighbours, the word NULL, empty and non-Latin
text) are stored exactly as sent, answered per item, and found again as duplicates when
resent. The same holds on SQLite, which keeps the per-row path."""

import pytest
import time_machine

from credit.ingestion.services import credit_events_ingest
from credit.models import CreditEvent, LineFeatureState
from tests.credit.ingestion_factories import borrower_with_line, event

pytestmark = pytest.mark.django_db

AWKWARD = [
    'quote"inside',
    "comma,inside",
    "{braces}",
    "back\\slash",
    "NULL",
    "null",
    "it's",
    "inner  two spaces",
    "还款-001",
    "semi;colon",
    "\\N",
    "back\\tslash-t",
]


@time_machine.travel("2026-03-12T12:00:00+08:00", tick=False)
def test_awkward_text_is_stored_exactly_and_found_again_as_duplicates():
    borrowers = [borrower_with_line() for _ in range(3)]
    items = [
        event(
            borrowers[i % 3].customer_id,
            external_id=f"{text}-{i}",
            source=f"src {text}"[:64],
            kind="external_loan_opened",
            data={"platform": text, "loan_id": f"L-{i}", "amount": "3000"},
        )
        for i, text in enumerate(AWKWARD)
    ]

    first = credit_events_ingest(items=items, origin="test")
    assert first.counts == {"accepted": len(items)}

    stored = {
        (e.source, e.external_id): (e.line.borrower.customer_id, e.data["platform"])
        for e in CreditEvent.objects.select_related("line__borrower")
    }
    for item in items:
        assert stored[(item["source"], item["external_id"])] == (
            item["customer_id"],
            item["data"]["platform"],
        )

    again = credit_events_ingest(items=list(reversed(items)), origin="test")
    assert again.counts == {"duplicate": len(items)}
    assert all("Already stored" in r.reason for r in again.results)
    assert CreditEvent.objects.count() == len(items)


@time_machine.travel("2026-03-12T12:00:00+08:00", tick=False)
def test_two_batches_in_one_outer_transaction_keep_apart():
    """The temporary table lives as long as the connection and is emptied at commit: a caller
    that runs two batches in one transaction must not get the first batch's rows back."""
    from django.db import transaction

    borrower = borrower_with_line()
    with transaction.atomic():
        first = credit_events_ingest(
            items=[event(borrower.customer_id, f"a-{i}") for i in range(3)], origin="test"
        )
        second = credit_events_ingest(
            items=[event(borrower.customer_id, f"b-{i}") for i in range(2)]
            + [event("nobody", "c-0")],
            origin="test",
        )
    assert first.counts == {"accepted": 3}
    assert second.counts == {"accepted": 2, "rejected": 1}
    assert [(r.external_id, r.status) for r in second.results] == [
        ("b-0", "accepted"),
        ("b-1", "accepted"),
        ("c-0", "rejected"),
    ]
    assert CreditEvent.objects.count() == 5


@time_machine.travel("2026-03-12T12:00:00+08:00", tick=False)
def test_a_batch_mixing_stored_new_and_lineless_events_answers_each():
    """The keys already stored are found after the INSERT skipped them, for those rows only:
    new ones are accepted, stored ones are duplicates "already stored", and an unknown
    customer's event is rejected."""
    borrower = borrower_with_line()
    credit_events_ingest(
        items=[event(borrower.customer_id, f"old-{i}") for i in range(2)], origin="test"
    )
    report = credit_events_ingest(
        items=[
            event(borrower.customer_id, "new-0"),
            event(borrower.customer_id, "old-1"),
            event("nobody", "lost-0"),
            event(borrower.customer_id, "old-0"),
            event(borrower.customer_id, "new-1"),
        ],
        origin="test",
    )
    assert [r.status for r in report.results] == [
        "accepted",
        "duplicate",
        "rejected",
        "duplicate",
        "accepted",
    ]
    assert all("Already stored" in report.results[i].reason for i in (1, 3))
    assert CreditEvent.objects.count() == 4


@pytest.mark.postgres
def test_feature_states_leave_room_on_each_page_for_their_rewrites():
    """Each batch rewrites its lines' states: with room on the page the update stays there
    (HOT) instead of moving the row and adding an index entry (migration 0018)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s",
            [LineFeatureState._meta.db_table],
        )
        assert "fillfactor=50" in cursor.fetchone()[0]


@pytest.mark.postgres
def test_no_index_of_the_events_repeats_the_leading_columns_of_another():
    """Every index is written for each ingested row. One whose columns lead another serves no
    lookup the other can't (migration 0023 dropped `(line_id)`, led by `(line_id,
    occurred_at)`); lookups by line still have an index that starts with it."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, CreditEvent._meta.db_table)
    indexes = [tuple(c["columns"]) for c in constraints.values() if c["index"]]
    redundant = [(a, b) for a in indexes for b in indexes if a != b and b[: len(a)] == a]
    assert redundant == []
    assert any(columns[0] == "line_id" for columns in indexes), indexes
