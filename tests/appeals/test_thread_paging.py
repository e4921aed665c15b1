"""The appeal page shows the newest messages of its thread and links to earlier ones: a thread
ten times longer costs the same queries and (on PostgreSQL) reads a bounded number of rows."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from appeals import detail_page, services
from appeals.selectors import THREAD_PAGE_SIZE
from tests.appeals import factories as f
from tests.rows import counting_reads
from tests.support import plain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _converse(appeal, worker, *, upto: int, start) -> None:
    """Borrower and agent take turns (through the services) until the thread has `upto`
    public messages, numbered in their text."""
    have = appeal.messages.exclude(kind="internal").count()
    for number in range(have + 1, upto + 1):
        with time_machine.travel(start + timedelta(minutes=number), tick=False):
            if number % 2:
                services.appeal_borrower_message(
                    appeal=appeal, actor=appeal.borrower, body=f"message {number}"
                )
            else:
                services.appeal_staff_message(
                    appeal=appeal, actor=worker, body=f"message {number}", internal=False
                )
        appeal.refresh_from_db()


def _forget_page(appeal) -> None:
    """Drop the appeal page's cached parts, so the next view reads the page in full."""
    cache.delete_many(
        [
            detail_page.cache_key(appeal_id=appeal.pk, user_id=appeal.borrower_id, language=code)
            for code, _name in settings.LANGUAGES
        ]
    )


def _thread(response) -> tuple[list[str], str | None]:
    """(the messages shown, oldest first; the `before` of the earlier ones' link, or None)."""
    html = response.content.decode()
    section = html.split('id="thread-heading"', 1)[1].split("</section>", 1)[0]
    shown = re.findall(r'<p class="prewrap">(.*?)</p>', section, flags=re.S)
    earlier = re.search(r'href="\?before=(\d+)#thread"', section)
    return shown, earlier.group(1) if earlier else None


def _page(client, appeal, query=""):
    with counting_reads() as reads:
        response = client.get(reverse("appeals:detail", args=[appeal.pk]) + query)
    assert response.status_code == 200
    return reads, response


def test_a_thread_ten_times_longer_costs_the_same_queries_and_bounded_rows(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    start = timezone.now() - timedelta(days=2)
    _converse(appeal, worker, upto=10, start=start)
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = "en"
    _page(client, appeal)  # warm, as a borrower's second page is (the policies in force are cached)
    # Both views read the page in full (not its cached parts): the work of a change.
    _forget_page(appeal)
    before, _ = _page(client, appeal)

    _converse(appeal, worker, upto=100, start=start)
    _forget_page(appeal)
    after, response = _page(client, appeal)

    assert after.queries == before.queries
    if before.rows_counted:
        # Ten messages shown before, a page of THREAD_PAGE_SIZE (+1 to know there is more)
        # after: never the hundred.
        assert after.rows - before.rows <= THREAD_PAGE_SIZE + 1 - 10
    body = plain(response)
    assert "message 100" in body
    assert f"message {100 - THREAD_PAGE_SIZE}" not in body
    assert "Show earlier messages" in body


def test_following_earlier_messages_reaches_every_message_once_in_order(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    _converse(appeal, worker, upto=45, start=timezone.now() - timedelta(days=1))
    # A note staff keep to themselves is never part of the borrower's thread.
    services.appeal_staff_message(appeal=appeal, actor=worker, body="internal x", internal=True)
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = "en"

    pages, query = [], ""
    while True:
        _, response = _page(client, appeal, query)
        shown, earlier_before = _thread(response)
        pages.append(shown)
        if earlier_before is None:
            break
        assert "Show earlier messages" in plain(response)
        query = f"?before={earlier_before}"
    seen = [body for page in reversed(pages) for body in page]
    assert seen == [f"message {n}" for n in range(1, 46)]
    assert len(pages) == 3


def test_a_junk_or_foreign_before_shows_the_newest_messages(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    other = f.in_review_appeal(worker=worker)
    _converse(appeal, worker, upto=3, start=timezone.now() - timedelta(hours=1))
    _converse(other, worker, upto=1, start=timezone.now() - timedelta(hours=1))
    foreign = other.messages.get().pk
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = "en"
    for query in ("?before=abc", "?before=-1", f"?before={foreign}", "?before=" + "9" * 40):
        _, response = _page(client, appeal, query)
        assert _thread(response)[0] == [
            "message 1",
            "message 2",
            "message 3",
        ]
