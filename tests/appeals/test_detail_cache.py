"""The appeal page keeps its read-only parts in the cache, and a borrower never reads them stale.

Each test fills the cache with one view, changes one thing the page shows (through the real
services), and views again: the change shows at once, with no invalidation anywhere. The
forms are rendered for every request, each with that request's tokens.
"""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appeals import detail_page, services
from tests.appeals import factories as f
from tests.appeals.files import pdf
from tests.support import plain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    detail_page._bodies.clear()
    yield
    cache.clear()
    detail_page._bodies.clear()


def view(client, appeal, *, user=None, language="en"):
    """(visible words, html, statements) of the appeal page as `user` (its borrower) sees it."""
    client.force_login(user or appeal.borrower)
    client.cookies["recourse_language"] = language
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("appeals:detail", args=[appeal.pk]))
    assert response.status_code == 200
    return plain(response), response.content.decode(), len(queries)


def _tokens(html: str) -> list[str]:
    return re.findall(r'name="(?:csrfmiddlewaretoken|form_token)" value="([^"]+)"', html)


def test_a_second_view_reads_the_cached_parts_and_shows_the_same_page(client):
    appeal = f.in_review_appeal()
    services.appeal_staff_message(
        appeal=appeal, actor=f.agent(), body="We are looking at it.", internal=False
    )
    first, first_html, cold = view(client, appeal)
    again, again_html, warm = view(client, appeal)
    assert again == first
    assert "We are looking at it." in again
    # The reasons, documents, extensions, history, thread and the decisions compared are not
    # read again.
    assert warm <= cold - 4, (cold, warm)
    # Every form still carries this request's own one-time tokens.
    assert _tokens(again_html) and set(_tokens(again_html)).isdisjoint(_tokens(first_html))


def test_a_new_message_shows_at_once_and_an_internal_note_never(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    # The first answer also marks the appeal answered; the next one changes only the thread.
    services.appeal_staff_message(appeal=appeal, actor=worker, body="First answer", internal=False)
    view(client, appeal)
    services.appeal_staff_message(appeal=appeal, actor=worker, body="A note for us", internal=True)
    services.appeal_staff_message(appeal=appeal, actor=worker, body="Please wait", internal=False)
    shown, _, _ = view(client, appeal)
    assert "Please wait" in shown and "A note for us" not in shown


def test_a_request_for_information_shows_at_once_with_its_words(client):
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    before, _, _ = view(client, appeal)
    assert "We need more information" not in before
    services.appeal_request_info(appeal=appeal, actor=worker, request="Send your bank statement")
    after, _, _ = view(client, appeal)
    assert "We need more information" in after
    assert "Send your bank statement" in after


def test_a_new_document_shows_at_once(client):
    appeal = f.in_review_appeal()
    before, _, _ = view(client, appeal)
    assert "No documents yet." in before
    services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf("payslip.pdf"))
    after, _, _ = view(client, appeal)
    assert "payslip.pdf" in after and "No documents yet." not in after


def test_each_language_reads_its_own_parts(client):
    appeal = f.in_review_appeal()
    english, _, _ = view(client, appeal, language="en")
    chinese, _, _ = view(client, appeal, language="zh-hans")
    english_again, _, _ = view(client, appeal, language="en")
    assert "History" in english and "History" not in chinese
    assert english_again == english


def test_two_borrowers_never_share_a_page(client):
    mine = f.in_review_appeal()
    theirs = f.in_review_appeal()
    services.appeal_staff_message(
        appeal=theirs, actor=f.agent(), body="Only for the other borrower", internal=False
    )
    view(client, theirs)  # their page is cached
    client.force_login(mine.borrower)
    assert client.get(reverse("appeals:detail", args=[theirs.pk])).status_code == 404
    shown, _, _ = view(client, mine)
    assert "Only for the other borrower" not in shown
    assert mine.reference in shown and theirs.reference not in shown


def test_erasing_a_person_drops_their_cached_pages(client, django_capture_on_commit_callbacks):
    from accounts.rights import person_erase

    appeal = f.in_review_appeal()
    for code, _name in settings.LANGUAGES:
        view(client, appeal, language=code)
    keys = [
        detail_page.cache_key(appeal_id=appeal.pk, user_id=appeal.borrower_id, language=code)
        for code, _name in settings.LANGUAGES
    ]
    assert all(cache.get(key) is not None for key in keys)

    with django_capture_on_commit_callbacks(execute=True):
        person_erase(person=appeal.borrower, now=timezone.now(), reason="deletion request")

    assert [cache.get(key) for key in keys] == [None, None]


# --- The page's content, rendered once per state with each request's tokens ------------------


def _tokens_blanked(html: str) -> str:
    return re.sub(r'(name="(?:csrfmiddlewaretoken|form_token)" value=")[^"]+"', r'\1"', html)


def test_a_kept_page_is_the_page_rendered_in_full_and_its_forms_are_sent(client):
    """A cached request serves the content rendered for the first one: the same HTML but for
    the tokens, no slot left, every form token its own, and a reply sent from it (CSRF checked)
    goes through."""
    from django.test import Client

    appeal = f.in_review_appeal()
    client = Client(enforce_csrf_checks=True)
    _, full, _ = view(client, appeal)  # rendered in full, parts kept
    _, kept_once, _ = view(client, appeal)  # content rendered once and kept
    _, kept, _ = view(client, appeal)  # content from the process
    assert _tokens_blanked(kept) == _tokens_blanked(full) == _tokens_blanked(kept_once)
    assert detail_page.CSRF_SLOT not in kept and detail_page.FORM_TOKEN_SLOT not in kept
    form_tokens = re.findall(r'name="form_token" value="([^"]+)"', kept)
    assert len(form_tokens) >= 2 and len(set(form_tokens)) == len(form_tokens)
    assert set(form_tokens).isdisjoint(re.findall(r'name="form_token" value="([^"]+)"', kept_once))

    reply = re.search(r'<form[^>]*id="reply".*?</form>', kept, re.S).group(0)
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"', reply))
    sent = client.post(
        reverse("appeals:reply", args=[appeal.pk]), {**fields, "body": "我已上传结清证明。"}
    )
    assert sent.status_code == 302
    assert appeal.messages.filter(body="我已上传结清证明。").exists()


def test_the_second_review_form_goes_when_its_window_closes(client):
    """Whether a second review can still be asked for is read from the clock on each request,
    not kept with the page."""
    from datetime import timedelta

    import time_machine

    appeal = f.denied_appeal()
    appeal.refresh_from_db()
    assert appeal.second_review_until is not None
    shown, _, _ = view(client, appeal)
    again, _, _ = view(client, appeal)
    assert "Ask for a second review" in shown and "Ask for a second review" in again
    with time_machine.travel(appeal.second_review_until + timedelta(minutes=1)):
        later, _, _ = view(client, appeal)
    assert "Ask for a second review" not in later


def test_a_rating_shows_at_once_instead_of_the_survey(client):
    from appeals.models import AppealStatus

    appeal = f.denied_appeal()
    appeal.refresh_from_db()
    assert appeal.is_resolved and appeal.status == AppealStatus.DENIED
    before, _, _ = view(client, appeal)
    view(client, appeal)
    assert "How did we do?" in before and "You rated us" not in before
    services.survey_submit(appeal=appeal, actor=appeal.borrower, rating=4, comment="")
    after, _, _ = view(client, appeal)
    assert "You rated us 4 out of 5" in after


def test_rewritten_words_are_not_served_from_a_kept_content(client):
    """An erasure rewrites message bodies without changing any id (so the fingerprint stays)
    and drops the kept parts: the content kept in the process must not quote the old words."""
    from appeals.models import Message

    appeal = f.awaiting_appeal()
    view(client, appeal)
    kept, _, _ = view(client, appeal)
    assert "请上传其他平台的结清证明。" in kept
    Message.objects.filter(appeal=appeal).update(body="(removed)")
    cache.clear()  # what the erasure's page_cache_forget does for this person's pages
    view(client, appeal)
    again, _, _ = view(client, appeal)
    assert "请上传其他平台的结清证明。" not in again and "(removed)" in again
