"""A closure softened by the borrower's policy segment (a reduction instead, or a longer
notice) is said to the borrower, on My credit and in the notice, in both languages, and only
when the segment really changed the decision."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from credit import services
from credit.models import DecisionOutcome
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.factories import event, make_line, multi_lending, repayments
from tests.credit.services.support import (
    KEY_CUSTOMER_SEGMENT,
    activate_policy,
    clean_line,
    reevaluate,
)
from tests.support import plain, text

pytestmark = pytest.mark.django_db

SOFTENED_EN = (
    "Because you have repaid on time for a long time, we decided to reduce your limit "
    "instead of closing your credit line."
)
SOFTENED_ZH = "由于您长期按时还款，我们决定调低您的额度，而不是关闭您的信用额度。"
LONGER_EN = (
    "Under our policy for your customer group, your notice period is 60 days instead of the "
    "usual 30."
)
LONGER_ZH = "根据我们对您所在客户群体的政策，您的缓冲期为 60 天，而不是通常的 30 天。"


def page(client, user, language):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    response = client.get(reverse("credit:my-credit"))
    assert response.status_code == 200
    return text(response) + "\n" + plain(response)


def inbox_text(decision, language: str) -> str:
    row = Notification.objects.get(
        event__startswith="credit.", object_id=str(decision.pk), channel="inbox"
    )
    assert row.language == language
    return row.body_text


def long_clean_line(**kw):
    """40 months old, 12 repayments all on time: v1's `long_clean_history` segment."""
    line = make_line(opened_at=NOW - timedelta(days=1000), credit_limit="30000.00", **kw)
    repayments(line, first_due=date(2024, 12, 10), count=12)
    return line


@pytest.mark.parametrize(("language", "sentence"), [("en", SOFTENED_EN), ("zh-hans", SOFTENED_ZH)])
def test_a_closure_softened_by_a_long_clean_record_is_said_on_my_credit_and_in_the_notice(
    clock, sent_notices, client, language, sentence
):
    line = long_clean_line()
    line.borrower.preferred_language = language
    line.borrower.save(update_fields=["preferred_language"])
    multi_lending(line, start=NOW - timedelta(days=14))
    decision = reevaluate(line)
    assert (decision.outcome, decision.segment) == (
        DecisionOutcome.REDUCE_LIMIT,
        "long_clean_history",
    )
    assert sent_notices[0]["context"]["segment_note"] == {"en": SOFTENED_EN, "zh-hans": SOFTENED_ZH}
    assert sentence in inbox_text(decision, language)
    assert sentence in page(client, line.borrower, language)


def test_a_longer_notice_from_a_segment_is_said_and_the_usual_one_is_not(
    clock, sent_notices, client
):
    activate_policy(segments=[{**KEY_CUSTOMER_SEGMENT, "review": False}])
    key, other = clean_line(), clean_line()
    services.credit_lines_key_customer_set(line_ids=[key.pk], key_customer=True)
    for line in (key, other):
        multi_lending(line, start=NOW - timedelta(days=10))
    services.credit_lines_reevaluate(line_ids=[key.pk, other.pk], trigger="event")
    told = {n["obj"].line_id: n["context"] for n in sent_notices}
    assert told[key.pk]["segment_note"] == {"en": LONGER_EN, "zh-hans": LONGER_ZH}
    assert LONGER_EN in page(client, key.borrower, "en")
    assert LONGER_ZH in page(client, key.borrower, "zh-hans")
    # The borrower outside the segment has the usual notice and no such sentence.
    assert "segment_note" not in told[other.pk]
    body = page(client, other.borrower, "en")
    assert "Closing on" in body
    assert "notice period is" not in body and "instead of closing" not in body


def test_no_sentence_when_the_segment_changed_nothing(clock, sent_notices, client):
    """In the long-clean segment but closed by a knock-out (never softened): the segment is on
    the decision, yet it changed nothing, so nothing is said about it."""
    line = long_clean_line()
    for i in range(6):
        event(
            line,
            "external_loan_opened",
            NOW - timedelta(days=200 + i),
            platform=f"P{i}",
            loan_id="1",
            amount="100",
        )
    decision = reevaluate(line)
    assert (decision.outcome, decision.segment) == (
        DecisionOutcome.SCHEDULE_CLOSURE,
        "long_clean_history",
    )
    assert "segment_note" not in sent_notices[0]["context"]
    message = Notification.objects.get(object_id=str(decision.pk), channel="inbox").body_text
    assert "长期按时还款" not in message and "repaid on time for a long time" not in message
    for language in ("en", "zh-hans"):
        body = page(client, line.borrower, language)
        assert SOFTENED_EN not in body and SOFTENED_ZH not in body
        assert "instead of" not in body and "而不是" not in body


ME_LINE_URL = "/api/v1/me/credit-line/"
ME_DECISIONS_URL = "/api/v1/me/decisions/"


@pytest.mark.parametrize(("language", "sentence"), [("en", SOFTENED_EN), ("zh-hans", SOFTENED_ZH)])
def test_the_borrower_api_carries_the_segment_sentence_in_the_requested_language(
    clock, sent_notices, client, language, sentence
):
    line = long_clean_line()
    multi_lending(line, start=NOW - timedelta(days=14))
    decision = reevaluate(line)
    assert decision.segment == "long_clean_history"
    client.force_login(line.borrower)
    explaining = client.get(ME_LINE_URL, HTTP_ACCEPT_LANGUAGE=language).json()[
        "explaining_decision"
    ]
    assert (explaining["id"], explaining["segment_note"]) == (decision.pk, sentence)
    listed = client.get(ME_DECISIONS_URL, HTTP_ACCEPT_LANGUAGE=language).json()["results"]
    assert [(d["id"], d["segment_note"]) for d in listed] == [(decision.pk, sentence)]


def test_the_borrower_api_says_null_when_the_segment_changed_nothing(clock, sent_notices, client):
    """A knock-out closure of a long-clean borrower: the segment is on the decision, the API's
    `segment_note` is null (and the longer-notice borrower gets theirs, in the same list shape)."""
    line = long_clean_line()
    for i in range(6):
        event(
            line,
            "external_loan_opened",
            NOW - timedelta(days=200 + i),
            platform=f"P{i}",
            loan_id="1",
            amount="100",
        )
    decision = reevaluate(line)
    assert decision.segment == "long_clean_history"
    client.force_login(line.borrower)
    for language in ("en", "zh-hans"):
        data = client.get(ME_LINE_URL, HTTP_ACCEPT_LANGUAGE=language).json()
        assert data["explaining_decision"]["segment_note"] is None
        listed = client.get(ME_DECISIONS_URL, HTTP_ACCEPT_LANGUAGE=language).json()["results"]
        assert [d["segment_note"] for d in listed] == [None]


def test_a_longer_notice_is_in_the_borrower_api_in_both_languages(clock, sent_notices, client):
    activate_policy(segments=[{**KEY_CUSTOMER_SEGMENT, "review": False}])
    key = clean_line()
    services.credit_lines_key_customer_set(line_ids=[key.pk], key_customer=True)
    multi_lending(key, start=NOW - timedelta(days=10))
    services.credit_lines_reevaluate(line_ids=[key.pk], trigger="event")
    client.force_login(key.borrower)
    for language, sentence in (("en", LONGER_EN), ("zh-hans", LONGER_ZH)):
        data = client.get(ME_LINE_URL, HTTP_ACCEPT_LANGUAGE=language).json()
        assert data["explaining_decision"]["segment_note"] == sentence
        listed = client.get(ME_DECISIONS_URL, HTTP_ACCEPT_LANGUAGE=language).json()["results"]
        assert listed[0]["segment_note"] == sentence
