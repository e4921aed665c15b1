"""Issue 11: search people find with — any part of a name (Chinese or Latin), email or phone,
the reference; an empty result says what was searched. On PostgreSQL the partial matches
use the trigram indexes."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import User
from appeals.models import Appeal
from tests.appeals import factories as f
from tests.appeals.desk.test_case import page_text, signed_in

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:appeals_appeal_changelist"


def _people():
    worker = f.agent()
    zh = f.in_review_appeal(worker=worker)
    User.objects.filter(pk=zh.borrower_id).update(
        full_name="欧阳晓明", email="xiaoming.ouyang@example.cn", phone="+8613912345678"
    )
    latin = f.in_review_appeal(worker=worker)
    User.objects.filter(pk=latin.borrower_id).update(
        full_name="Emma Liu", email="emma.liu@example.com", phone="+8613700001111"
    )
    return worker, zh, latin


def _found(client, term):
    return page_text(client.get(reverse(CHANGELIST), {"q": term, "queue": "all"}))


@pytest.mark.parametrize(
    "term, who",
    [
        ("晓明", "zh"),
        ("欧阳", "zh"),
        ("emma", "latin"),
        ("LIU", "latin"),
        ("ouyang@", "zh"),
        ("example.com", "latin"),
        ("1234 5678", "zh"),
        ("0000-1111", "latin"),
        ("13912345678", "zh"),
    ],
)
def test_partial_names_emails_and_phones_find_the_appeal(client, term, who):
    worker, zh, latin = _people()
    body = _found(signed_in(client, worker), term)
    wanted, other = (zh, latin) if who == "zh" else (latin, zh)
    assert wanted.reference in body, term
    assert other.reference not in body, term


def test_an_empty_result_says_what_was_searched(client):
    worker, _zh, _latin = _people()
    body = _found(signed_in(client, worker), "诸葛")
    assert "No appeal matches “诸葛”" in body
    assert "borrower name" in body and "phone" in body


@pytest.mark.postgres
def test_partial_name_search_uses_the_trigram_index_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from appeals.desk.queue import search_queue

    _people()
    with connection.cursor() as cursor:
        # Few rows: the planner would rather scan. With scans off (sequential, and a plain
        # index scan filtering every row) it shows whether the trigram index can serve the
        # lookup at all, whatever the table's statistics are at this point of a run.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        plan = search_queue(Appeal.objects.all(), "阳晓明").explain()
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    assert "desk_user_name_trgm" in plan, plan
