"""My credit keeps its rendered history in the cache, and a borrower never reads it stale.

The history (the decision that explains the line, the score chart, the timeline) is rendered
once and kept until something it shows changes. Each test fills the cache with one view of
the page, changes one thing the history shows, and reads the page again: it must show the
change at once, with no invalidation anywhere.
"""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from credit import services
from credit.models import CreditLine, DecisionOutcome, DecisionTrigger, ReasonCode
from tests.credit.factories import event
from tests.credit.story import active_line, closing_line
from tests.support import plain, text

pytestmark = pytest.mark.django_db


def view(client, user, language="en"):
    """(visible words, html, statements) of My credit for `user`."""
    client.force_login(user)
    client.cookies["recourse_language"] = language
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("credit:my-credit"))
    assert response.status_code == 200
    return plain(response), text(response), len(queries)


def timeline(html: str) -> str:
    return html.split('id="timeline-heading"', 1)[1]


def test_a_second_view_reads_the_history_from_the_cache_and_shows_the_same_page(
    client, sent_notices
):
    line = closing_line(days_ago=7)
    first, _, cold = view(client, line.borrower)
    again, _, warm = view(client, line.borrower)
    assert again == first
    # The decisions, their reasons, the events and the scores are not read again.
    assert warm <= cold - 4, (cold, warm)
    assert "Why this happened" in again and "History" in again


def test_a_new_decision_shows_at_once(client, sent_notices):
    line = active_line()
    before, _, _ = view(client, line.borrower)
    assert "Nothing has happened on your credit line yet." in before
    services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.FREEZE,
        trigger=DecisionTrigger.STAFF,
        reason_codes=["policy_adjustment"],
    )
    after, html, _ = view(client, line.borrower)
    assert "A person on our team decided this" in after
    assert "Credit line paused" in timeline(html)
    assert "Nothing has happened on your credit line yet." not in after


def test_a_new_event_shows_at_once(client, sent_notices):
    line = closing_line(days_ago=7)
    _, html, _ = view(client, line.borrower)
    assert "· 731" not in timeline(html)
    event(line, "bureau_score", timezone.now() - timedelta(hours=1), score=731)
    _, html, _ = view(client, line.borrower)
    assert "· 731" in timeline(html)


def test_each_language_reads_its_own_history(client, sent_notices):
    line = closing_line(days_ago=7)
    first = line.decisions.get().reasons_ranked[0].reason_code
    en, _, _ = view(client, line.borrower, "en")
    zh, _, _ = view(client, line.borrower, "zh-hans")
    en_again, _, _ = view(client, line.borrower, "en")
    assert first.title_en in en and first.title_zh not in en
    assert first.title_zh in zh and first.title_en not in zh
    assert "在其他平台申请借款" in zh and "在其他平台申请借款" not in en  # an event
    assert en_again == en


def test_the_history_is_dated_in_the_borrowers_time_zone(client, sent_notices):
    line = closing_line(days_ago=7)
    _, html, _ = view(client, line.borrower)
    assert "+08:00" in timeline(html)  # Asia/Shanghai
    User.objects.filter(pk=line.borrower.pk).update(time_zone="America/Sao_Paulo")
    _, html, _ = view(client, User.objects.get(pk=line.borrower.pk))
    assert "-03:00" in timeline(html) and "+08:00" not in timeline(html)


def test_the_appeal_button_goes_when_the_window_closes_while_the_history_is_cached(
    client, sent_notices
):
    line = closing_line(days_ago=7)
    body, _, _ = view(client, line.borrower)
    assert "Appeal this decision" in body
    later = timezone.now() + timedelta(days=settings.APPEAL_WINDOW_DAYS)
    with time_machine.travel(later, tick=False):
        body, _, _ = view(client, line.borrower)
    assert "Appeal this decision" not in body
    assert "Contact us about this decision" in body


def test_a_reason_made_not_appealable_takes_the_appeal_button_away(client, sent_notices):
    line = closing_line(days_ago=7)
    body, _, _ = view(client, line.borrower)
    assert "Appeal this decision" in body
    for reason in line.decisions.get().reasons_ranked:
        code = ReasonCode.objects.get(pk=reason.reason_code_id)
        code.appealable = False
        code.save()  # as the admin saves it
    body, _, _ = view(client, line.borrower)
    assert "Appeal this decision" not in body


def test_two_borrowers_never_share_a_history(client, sent_notices):
    closing = closing_line(days_ago=7)
    paused = active_line()
    services.credit_line_decide(
        line=paused,
        outcome=DecisionOutcome.FREEZE,
        trigger=DecisionTrigger.STAFF,
        reason_codes=["policy_adjustment"],
    )
    first, first_html, _ = view(client, closing.borrower)
    second, second_html, _ = view(client, paused.borrower)
    assert "PlatformA" in timeline(first_html)  # the multi-lending events
    assert "PlatformA" not in second
    assert "A person on our team decided this" in second
    assert "A person on our team decided this" not in first
    again, _, _ = view(client, closing.borrower)
    assert again == first


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_scheduled_reduction_reads_done_once_its_date_passes(client, sent_notices, language):
    """Qian Hua's cut (the demo's C-1010) takes effect next month: her history says
    "scheduled" until then, and "reduced" from then on, with nothing new stored."""
    call_command("seed_demo")
    qian = User.objects.get(customer_id="C-1010")
    line = CreditLine.objects.get(borrower=qian)
    scheduled, reduced = (
        ("<strong>Limit reduction scheduled</strong>", "<strong>Limit reduced</strong>")
        if language == "en"
        else ("<strong>额度调整已安排</strong>", "<strong>额度已调低</strong>")
    )
    _, html, _ = view(client, qian, language)
    assert scheduled in timeline(html) and reduced not in timeline(html)
    with time_machine.travel(line.scheduled_change_at + timedelta(minutes=1), tick=False):
        _, html, _ = view(client, qian, language)
    assert reduced in timeline(html) and scheduled not in timeline(html)


def test_erasing_a_person_drops_their_cached_history(
    client, sent_notices, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from accounts.rights import person_erase
    from credit.overview import history_cache_key

    line = closing_line(days_ago=7)
    for code, _name in settings.LANGUAGES:
        view(client, line.borrower, code)
    keys = [
        history_cache_key(line_id=line.pk, user_id=line.borrower_id, language=code)
        for code, _name in settings.LANGUAGES
    ]
    assert all(cache.get(key) is not None for key in keys)

    with django_capture_on_commit_callbacks(execute=True):
        person_erase(person=line.borrower, now=timezone.now(), reason="deletion request")

    assert [cache.get(key) for key in keys] == [None, None]
