"""What a borrower sees on "My credit", in both languages."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from credit import holds
from credit.models import CreditLineStatus
from tests.credit.story import active_line, closing_line, restored_line
from tests.factories import BorrowerFactory
from tests.support import plain, text

pytestmark = pytest.mark.django_db


def page(client, user, language="en"):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    response = client.get(reverse("credit:my-credit"))
    return text(response) + "\n" + plain(response)


def test_closing_line_shows_countdown_reasons_advice_and_the_repayment_record(client, sent_notices):
    line = closing_line(days_ago=7)
    assert line.status == CreditLineStatus.CLOSING
    body = page(client, line.borrower)
    assert "23 days left" in body
    assert "Closing on" in body
    assert "You repaid all 10 of your instalments on time" in body
    # ranked reasons: multi-lending first, each with what the borrower can do
    titles = re.findall(r'class="reason__rank"[^>]*>(\d)</span>([^<]+)<', body)
    assert [rank for rank, _ in titles] == [str(i) for i in range(1, len(titles) + 1)]
    first = line.decisions.get().reasons_ranked[0].reason_code
    assert titles[0][1].strip() == first.title_en
    assert first.advice_en in body
    assert "What can stop the closure" in body
    assert "Appeal this decision" in body
    assert "¥17,000.00" in body  # available = 20,000 - 3,000


def test_closing_line_in_chinese(client, sent_notices):
    line = closing_line(days_ago=7)
    body = page(client, line.borrower, language="zh-hans")
    first = line.decisions.get().reasons_ranked[0].reason_code
    assert "还剩 23 天" in body
    assert first.title_zh in body and first.advice_zh in body
    assert "您可以这样做" in body
    assert "对此决定申诉" in body
    assert "将于" in body and "关闭" in body


def test_an_open_hold_is_shown_on_the_countdown(client, sent_notices):
    line = closing_line()
    holds.register("test_hold", lambda ids: {i: "appeal 1" for i in ids if i == line.pk})
    try:
        body = page(client, line.borrower)
    finally:
        holds.unregister("test_hold")
    assert "The closure is on hold." in body


def test_appeal_button_disappears_after_the_appeal_window(client, sent_notices, settings):
    line = closing_line(days_ago=7)
    settings.APPEAL_WINDOW_DAYS = 5
    body = page(client, line.borrower)
    assert "Appeal this decision" not in body


def test_restored_line_shows_before_and_after(client, sent_notices):
    line = restored_line()
    assert line.status == CreditLineStatus.ACTIVE
    body = page(client, line.borrower)
    assert "Your credit line was restored on" in body
    assert "Closing" in body and "Active" in body  # before · now
    assert "Why this happened" not in body
    assert "Appeal this decision" not in body


def test_active_line_without_decisions(client):
    line = active_line()
    body = page(client, line.borrower)
    assert "Active" in body
    assert "¥12,500.00" in body
    assert "Why this happened" not in body


def test_borrower_without_a_line_is_told_plainly(client):
    body = page(client, BorrowerFactory())
    assert "We have no details of your credit line yet" in body


def test_dates_are_in_the_borrowers_time_zone(client, sent_notices):
    line = closing_line(days_ago=7)
    line.borrower.time_zone = "America/Los_Angeles"
    line.borrower.save()
    effective_local = timezone.localtime(line.closing_effective_at, timezone=line.borrower.zoneinfo)
    body = page(client, line.borrower)
    with translation.override("en"):
        shown = date_format(effective_local, "DATE_FORMAT")
    assert f"Closing on {shown}" in body


def test_page_queries_are_bounded(client, sent_notices, django_assert_max_num_queries):
    line = closing_line()
    client.force_login(line.borrower)
    with django_assert_max_num_queries(12):
        client.get(reverse("credit:my-credit"))


def test_countdown_never_goes_negative(client, sent_notices):
    line = closing_line(days_ago=7)
    with time_machine.travel(line.closing_effective_at + timedelta(hours=5), tick=False):
        body = page(client, line.borrower)
    assert "0 days left" in body


def test_a_corrected_system_error_is_owned_as_our_mistake(client, sent_notices):
    from credit import services
    from credit.models import DecisionOutcome, DecisionTrigger

    line = closing_line(days_ago=7)
    services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.REINSTATE,
        trigger=DecisionTrigger.CORRECTION,
        reason_codes=[],
        note="",
    )
    body = page(client, line.borrower)
    assert "The earlier decision was our mistake" in body
    assert "系统误操作" in page(client, line.borrower, language="zh-hans")
