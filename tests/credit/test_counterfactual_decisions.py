"""Counterfactuals stored with adverse decisions: shown on My credit, in the closure notice and
in the API, in both languages; the "by time alone" day re-evaluates the line and tells the
borrower once."""

import html
from datetime import date, timedelta

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse
from django.utils import formats, translation

from credit import counterfactual_texts, services
from credit.engine import counterfactuals as cf
from credit.models import (
    CreditLineStatus,
    DecisionOutcome,
    DecisionReview,
    DecisionTrigger,
    LineRecheck,
    PolicyCampaign,
    ReasonCode,
)
from credit.tasks import recheck_due_lines
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.factories import event, make_line, multi_lending, repayments
from tests.credit.services.support import clean_line, reevaluate, with_key_customer_segment
from tests.factories import BorrowerFactory, StaffFactory
from tests.support import plain, text

pytestmark = pytest.mark.django_db


def overdue_and_applications(line):
    """An overdue of 65 days reported 100 days ago and three applications this week: the
    v1 scorecard closes the line today (650), and the applications' weight halves once they
    are 30 days old (700: kept), with nothing new."""
    event(line, "external_overdue", NOW - timedelta(days=100), days_past_due=65, platform="X")
    for i, platform in enumerate(("A", "B", "C")):
        event(
            line, "external_loan_application", NOW - timedelta(days=5, hours=i), platform=platform
        )


def page(client, user, language):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    response = client.get(reverse("credit:my-credit"))
    return text(response) + "\n" + plain(response)


def _day(day, language):
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


def test_an_adverse_decision_stores_what_would_change_it_and_schedules_the_day(clock, sent_notices):
    line = clean_line()
    overdue_and_applications(line)
    decision = reevaluate(line)
    assert decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    kinds = {item["kind"]: item for item in decision.counterfactuals}
    day = cf.time_alone_date(decision.counterfactuals)
    assert kinds["time"]["outcome"] == "keep"
    assert "multi_lending_applications" in kinds["time"]["reasons"]
    recheck = LineRecheck.objects.get(line=line, ran_at__isnull=True)
    assert (recheck.due_on, recheck.decision_id) == (day, decision.pk)
    # Nothing the borrower can do today undoes applications or an overdue record.
    assert set(kinds) == {"no_action", "time"}


def test_loans_elsewhere_name_how_many_to_close_and_the_result_holds(clock, sent_notices):
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    decision = reevaluate(line)
    actions = next(i for i in decision.counterfactuals if i["kind"] == "actions")
    (change,) = actions["changes"]
    assert change["action"] == "close_external_loans"
    assert change["from"] == 3 and change["to"] < 3
    # Doing exactly that: the line is restored by the next evaluation.
    for platform, loan_id in change["loans"]:
        event(line, "external_loan_closed", NOW, platform=platform, loan_id=loan_id)
    assert reevaluate(line).outcome == DecisionOutcome.REINSTATE
    assert not LineRecheck.objects.filter(line=line, ran_at__isnull=True).exists()


def test_the_re_evaluation_fires_on_the_day_and_tells_the_borrower_once(clock, sent_notices):
    line = clean_line()
    overdue_and_applications(line)
    decision = reevaluate(line)
    day = cf.time_alone_date(decision.counterfactuals)
    start = cf.start_of_day(day)
    told_before = len(sent_notices)

    clock.move_to(start - timedelta(minutes=1))  # the evening before, in Shanghai
    assert recheck_due_lines() == {"ran": 0, "changed": 0}
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING

    clock.move_to(start + timedelta(minutes=25))  # the hourly job on the day
    assert recheck_due_lines() == {"ran": 1, "changed": 1}
    line.refresh_from_db()
    assert line.status == CreditLineStatus.ACTIVE
    restored = line.decisions.order_by("-created_at", "-id").first()
    assert restored.outcome == DecisionOutcome.REINSTATE
    assert restored.trigger == DecisionTrigger.PERIODIC
    told = [n["event"] for n in sent_notices[told_before:]]
    assert told == ["credit.reinstated"]

    assert recheck_due_lines() == {"ran": 0, "changed": 0}
    clock.move_to(start + timedelta(days=1, hours=1))
    assert recheck_due_lines() == {"ran": 0, "changed": 0}
    assert [n["event"] for n in sent_notices[told_before:]] == ["credit.reinstated"]
    run = LineRecheck.objects.get(line=line)
    assert run.ran_at is not None and run.outcome == DecisionOutcome.REINSTATE


def test_my_credit_shows_it_under_each_reason_in_both_languages(client, clock, sent_notices):
    line = clean_line()
    overdue_and_applications(line)
    decision = reevaluate(line)
    day = cf.time_alone_date(decision.counterfactuals)
    en = page(client, line.borrower, "en")
    assert "What would change this decision" in en
    assert f"would pass our check again on {_day(day, 'en')}" in en
    assert "No change you can make today is enough on its own" in en
    zh = page(client, line.borrower, "zh-hans")
    assert "怎样可以改变这个决定" in zh
    assert f"您的额度将于{_day(day, 'zh-hans')}重新通过我们的评估" in zh
    # Kept as decided: news after the decision changes what the engine would say now, not
    # what this decision says.
    event(line, "external_loan_application", NOW + timedelta(hours=1), platform="D")
    assert f"would pass our check again on {_day(day, 'en')}" in page(client, line.borrower, "en")


def test_the_closure_notice_carries_them_in_both_languages(clock, sent_notices):
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    decision = reevaluate(line)
    (change,) = next(i for i in decision.counterfactuals if i["kind"] == "actions")["changes"]
    closed = change["from"] - change["to"]
    (notice,) = [n for n in sent_notices if n["event"] == "credit.closure_scheduled"]
    lines = notice["context"]["what_would_change"]
    assert any(f"close {closed} of your loans at other platforms" in t["en"] for t in lines)
    assert any(f"结清其他平台的 {closed} 笔借款" in t["zh-hans"] for t in lines)
    email = Notification.objects.get(event="credit.closure_scheduled", channel="email")
    assert "可以改变这个决定的情况" in email.body_text  # the borrower reads Chinese
    assert "结清其他平台的" in email.body_html


def test_the_api_carries_kind_facts_outcome_and_date(client, clock, sent_notices):
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    reevaluate(line)
    client.force_login(line.borrower)
    data = client.get("/api/v1/me/decisions/", HTTP_ACCEPT_LANGUAGE="en").json()
    items = data["results"][0]["counterfactuals"]
    actions = next(i for i in items if i["kind"] == "actions")
    assert actions["outcome"] == "keep"
    assert actions["facts_changed"][0]["fact"] == "open_external_loans"
    assert actions["facts_changed"][0]["before"] == 3
    assert actions["text"].startswith("If you close")
    line_data = client.get("/api/v1/me/credit-line/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    zh = line_data["explaining_decision"]["counterfactuals"]
    assert any(i["text"].startswith("如果您结清") for i in zh)


def test_a_regulatory_decision_says_no_action_changes_it(clock, sent_notices):
    line = clean_line()
    decision = services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.FREEZE,
        trigger=DecisionTrigger.STAFF,
        reason_codes=["regulatory_requirement"],
        actor=StaffFactory(),
    )
    assert [i["kind"] for i in decision.counterfactuals] == ["regulatory"]
    assert not LineRecheck.objects.filter(line=line).exists()
    with translation.override("en"):
        (words,) = counterfactual_texts.sentences(decision.counterfactuals)
    assert "no action of yours changes it" in words


def test_a_campaign_decision_says_nothing_the_borrower_does_changes_it_and_when_it_ends(
    clock, sent_notices
):
    supervisor = StaffFactory(role="supervisor")
    line = make_line(opened_at=NOW - timedelta(days=400))
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause for the holidays",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            notice_days=0,
            ends_on=date(2026, 1, 31),
        ),
        actor=supervisor,
    )
    services.campaign_start(campaign=campaign, actor=supervisor)
    with TestCase.captureOnCommitCallbacks(execute=True):
        while services.campaign_run_chunk(campaign_id=campaign.pk):
            pass
    decision = line.decisions.get()
    assert decision.counterfactuals == [
        {
            "kind": "campaign",
            "reasons": ["policy_adjustment"],
            "changes": [],
            "outcome": None,
            "on": "2026-01-31",
            "rule": "",
            "feature": "",
            "together": False,
        }
    ]
    with translation.override("zh-hans"):
        (words,) = counterfactual_texts.sentences(decision.counterfactuals)
    assert "您的任何操作都不会改变它" in words and _day(date(2026, 1, 31), "zh-hans") in words


def test_the_closure_taking_effect_keeps_the_answers_of_the_decision_that_scheduled_it(
    clock, sent_notices
):
    line = clean_line()
    overdue_and_applications(line)
    scheduled = reevaluate(line)
    day = cf.time_alone_date(scheduled.counterfactuals)
    # A long overdue record instead: the closure takes effect before any date could come.
    event(line, "external_overdue", NOW, days_past_due=95, platform="Y")
    clock.move_to(NOW + timedelta(days=31))
    services.credit_lines_close_due()
    closed = line.decisions.order_by("-created_at", "-id").first()
    assert closed.outcome == DecisionOutcome.CLOSE
    assert closed.counterfactuals == scheduled.counterfactuals
    assert LineRecheck.objects.get(line=line, ran_at__isnull=True).due_on == day


def test_a_key_customers_reviewed_closure_carries_the_answers_of_the_staging_day(
    clock, sent_notices
):
    with_key_customer_segment()
    line = clean_line()
    services.credit_lines_key_customer_set(line_ids=[line.pk], key_customer=True)
    line.refresh_from_db()
    overdue_and_applications(line)
    assert reevaluate(line) is None  # staged for a reviewer, nothing applied
    review = DecisionReview.objects.get(line=line)
    staged = review.counterfactuals
    day = cf.time_alone_date(staged)
    assert {item["kind"] for item in staged} == {"no_action", "time"}
    assert not LineRecheck.objects.filter(line=line).exists()
    # An application the evening after staging would move the day later by today's facts; the
    # confirmed decision keeps the answers worked out from the facts it was staged on.
    event(line, "external_loan_application", NOW + timedelta(hours=8), platform="D")
    control = clean_line()
    overdue_and_applications(control)
    event(control, "external_loan_application", NOW + timedelta(hours=8), platform="D")
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        today = cf.time_alone_date(reevaluate(control).counterfactuals)
        decision = services.decision_review_confirm(
            review=review, actor=StaffFactory(role="reviewer")
        )
    assert today > day
    assert decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
    assert decision.counterfactuals == staged
    recheck = LineRecheck.objects.get(line=line, ran_at__isnull=True)
    assert (recheck.due_on, recheck.decision_id) == (day, decision.pk)
    (notice,) = [
        n
        for n in sent_notices
        if n["event"] == "credit.closure_scheduled" and n["recipient"] == line.borrower
    ]
    assert notice["context"]["what_would_change"] == counterfactual_texts.bilingual(staged)
    assert any(
        f"would pass our check again on {_day(day, 'en')}" in item["en"]
        for item in notice["context"]["what_would_change"]
    )


def _closed(borrower, clock):
    """A scheduled closure whose notice ends: the closed notice carries the scheduling
    decision's answers."""
    line = clean_line(borrower=borrower)
    overdue_and_applications(line)
    scheduled = reevaluate(line)
    # A long overdue record since: the closure takes effect (nothing reinstates it first).
    event(line, "external_overdue", NOW, days_past_due=95, platform="Y")
    clock.move_to(NOW + timedelta(days=31))
    services.credit_lines_close_due()
    return line, scheduled


def _reduced(borrower, clock):
    """Long clean history, then loans at three platforms: the limit is reduced, not closed."""
    line = make_line(
        borrower=borrower,
        credit_limit="36000.00",
        balance="3000.00",
        opened_at=NOW - timedelta(900),
    )
    repayments(line, first_due=(NOW - timedelta(days=365)).date(), count=12)
    multi_lending(line, start=NOW - timedelta(days=12))
    return line, reevaluate(line)


def _paused(borrower, clock):
    """A regulation applied by a person: the pause says no action of theirs changes it."""
    line = clean_line(borrower=borrower)
    decision = services.credit_line_decide(
        line=line,
        outcome=DecisionOutcome.FREEZE,
        trigger=DecisionTrigger.STAFF,
        reason_codes=["regulatory_requirement"],
        actor=StaffFactory(),
    )
    return line, decision


HEADING = {
    "en": "What would change this decision, as we worked it out when we made it:",
    "zh-hans": "做出决定时我们算出的、可以改变这个决定的情况：",
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("event_name", "outcome", "make"),
    [
        ("credit.closed", DecisionOutcome.CLOSE, _closed),
        ("credit.limit_reduced", DecisionOutcome.REDUCE_LIMIT, _reduced),
        ("credit.frozen", DecisionOutcome.FREEZE, _paused),
    ],
)
def test_the_closed_reduced_and_paused_notices_carry_them_in_the_borrowers_language(
    clock, sent_notices, event_name, outcome, make, language
):
    borrower = BorrowerFactory(preferred_language=language)
    line, decision = make(borrower, clock)
    assert decision.counterfactuals, "the decision told about stored what would change it"
    told = line.decisions.order_by("-created_at", "-id").first()
    assert told.outcome == outcome
    (notice,) = [n for n in sent_notices if n["event"] == event_name]
    assert notice["context"]["what_would_change"] == counterfactual_texts.bilingual(
        decision.counterfactuals
    )
    with translation.override(language):
        words = counterfactual_texts.sentences(decision.counterfactuals)
    assert words
    email = Notification.objects.get(event=event_name, channel="email", recipient=borrower)
    inbox = Notification.objects.get(event=event_name, channel="inbox", recipient=borrower)
    assert email.language == language
    for body in (email.body_text, html.unescape(email.body_html), inbox.body_text):
        assert HEADING[language] in body
        for sentence in words:
            assert sentence in body


def test_my_credit_says_no_single_change_is_enough_once_not_under_every_reason(
    client, clock, sent_notices
):
    line = clean_line()
    overdue_and_applications(line)
    decision = reevaluate(line)
    (no_action,) = [i for i in decision.counterfactuals if i["kind"] == "no_action"]
    assert len(no_action["reasons"]) > 1  # it names every reason of the decision
    for language, words in (
        ("en", "No change you can make today is enough on its own"),
        ("zh-hans", "今天就能做的改变"),
    ):
        client.force_login(line.borrower)
        client.cookies["recourse_language"] = language
        shown = plain(client.get(reverse("credit:my-credit")))
        assert shown.count(words) == 1, language
        # Said under the first reason it names; the day is still under each reason it answers.
        first = decision.reasons.get(reason_code__code=no_action["reasons"][0])
        with translation.override(language):
            title = first.title_in(language)
        assert shown.index(title) < shown.index(words)


def test_notices_of_the_same_answers_word_them_alike_and_apart():
    """A batch words a set of answers once and gives each notice its own copy: the same
    sentences as worded afresh in each language, a notice's copy changed changes no other,
    and a different date or count is worded anew."""
    items = [
        {"kind": cf.TIME, "reasons": ["multi_lending"], "outcome": "keep", "on": "2027-03-10"},
        {
            "kind": cf.ACTIONS,
            "reasons": ["multi_lending"],
            "changes": [
                {"action": cf.CLOSE_LOANS, "fact": "open_external_loans", "from": 3, "to": 1}
            ],
            "outcome": "keep",
        },
    ]

    def afresh(answers):
        worded = []
        for item in counterfactual_texts._ordered(answers):
            texts = {}
            for language in counterfactual_texts.LANGUAGES:
                with translation.override(language):
                    texts[language] = counterfactual_texts.sentence(item)
            worded.append(texts)
        return worded

    first = counterfactual_texts.bilingual(items)
    assert first == afresh(items)
    first[0]["en"] = "changed by one notice"
    assert counterfactual_texts.bilingual(items) == afresh(items)
    later = [dict(items[0], on="2027-04-02"), items[1]]
    assert counterfactual_texts.bilingual(later) == afresh(later) != afresh(items)
    fewer = [items[0], dict(items[1], changes=[dict(items[1]["changes"][0], to=2)])]
    assert counterfactual_texts.bilingual(fewer) == afresh(fewer) != afresh(items)
