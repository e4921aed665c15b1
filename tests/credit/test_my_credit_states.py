"""Every sentence on My credit is true for the state the line is in.

One test per demo state and language: the status words, what can be borrowed, the dates that
bind, who decided; and the sentences that would be false in that state must not appear.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from accounts.localtime import format_local_date, local_date
from accounts.models import User
from appeals.models import Appeal
from credit.models import CampaignLine, CreditLine
from tests.support import plain

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "zh-hans")


@pytest.fixture
def demo(sent_notices):
    call_command("seed_demo")
    return {
        line.borrower.customer_id: line for line in CreditLine.objects.select_related("borrower")
    }


def my_credit(client, customer_id: str, language: str) -> str:
    client.force_login(User.objects.get(customer_id=customer_id))
    client.cookies["recourse_language"] = language
    response = client.get(reverse("credit:my-credit"))
    assert response.status_code == 200
    return plain(response).replace(" ", "")  # dates sit in their own <span>: compare without spaces


def say(language: str, en: str, zh: str) -> str:
    return (en if language == "en" else zh).replace(" ", "")


def on(line, language, moment) -> str:
    with translation.override(language):
        return format_local_date(moment, line.borrower).replace(" ", "")


def check(body: str, must: list[str], must_not: list[str]) -> None:
    for sentence in must:
        assert sentence in body, f"missing: {sentence}"
    for sentence in must_not:
        assert sentence not in body, f"false here: {sentence}"


# Sentences that are false on a line that is already closed, paused or held.
NOTICE_PERIOD_PROMISES = [
    ("appeal within the notice period", "在缓冲期内提出申诉"),
    ("we will not close your credit line while your appeal is open", "申诉期间不会关闭您的额度"),
]


def _promises(language):
    return [say(language, en, zh) for en, zh in NOTICE_PERIOD_PROMISES]


@pytest.mark.parametrize("language", LANGUAGES)
def test_active(client, demo, language):
    body = my_credit(client, "C-1001", language)
    check(
        body,
        must=[say(language, "Active", "正常可用"), "¥25,800.00"],
        must_not=[
            say(language, "Closing on", "关闭已暂缓"),
            say(language, "days left", "还剩"),
            say(language, "Not available", "暂不可用"),
            say(language, "Why this happened", "原因说明"),
        ],
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_closing(client, demo, language):
    line = demo["C-1002"]
    body = my_credit(client, "C-1002", language)
    date = on(line, language, line.closing_effective_at)
    check(
        body,
        must=[
            say(language, f"Closing on {date}", f"将于{date}关闭"),
            say(language, "days left", "还剩"),
            "¥17,000.00",
            say(language, "Decided by our automated risk system", "该决定由自动化风控系统"),
            say(language, "Appeal this decision", "对此决定申诉"),
        ],
        must_not=[
            say(language, "Closure on hold", "关闭已暂缓"),
            say(language, "Not available", "暂不可用"),
        ],
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_closing_on_hold(client, demo, language):
    line = demo["C-1006"]
    body = my_credit(client, "C-1006", language)
    date = on(line, language, line.closing_effective_at)
    check(
        body,
        must=[
            say(language, "Closure on hold · appeal in review", "关闭已暂缓·申诉审核中"),
            say(
                language,
                f"If your appeal is not approved, your credit line closes on {date} at the"
                " earliest",
                f"如申诉未通过，您的信用额度最早将于{date}关闭",
            ),
            "¥17,000.00",
        ],
        must_not=[
            say(language, f"Closing on {date}", f"将于{date}关闭。"),
            say(language, "days left", "还剩"),
            say(language, "Appeal this decision", "对此决定申诉"),
        ],
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_closed_with_an_appeal_asking_to_reopen(client, demo, language):
    body = my_credit(client, "C-1003", language)
    check(
        body,
        must=[
            say(language, "Closed", "已关闭"),
            say(language, "Available¥0.00", "可用额度¥0.00"),
            say(language, "Not available", "暂不可用"),
            say(language, "Credit limit before closing¥15,000.00", "关闭前的额度¥15,000.00"),
            # closed by a knock-out rule: the chart says so, not "at or above 700 ... kept"
            say(language, "Your score did not decide this", "此决定并非由信用评分决定"),
        ],
        must_not=[
            say(language, "Available¥15,000.00", "可用额度¥15,000.00"),
            say(language, "a credit line is kept as it is", "额度保持不变"),
            say(language, "will not close", "不会关闭"),
            say(language, "days left", "还剩"),
            *_promises(language),
        ],
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_paused_by_a_campaign(client, demo, language):
    body = my_credit(client, "C-1004", language)
    ends_on = CampaignLine.objects.get(line=demo["C-1004"]).campaign.ends_on
    with translation.override(language):
        until = date_format(ends_on, "DATE_FORMAT").replace(" ", "")
    check(
        body,
        must=[
            say(language, "Paused", "已暂停使用"),
            say(language, "Available¥0.00", "可用额度¥0.00"),
            say(language, "product policy change", "产品运营策略调整"),
            # the campaign's end date is part of who decided
            say(language, f"until{until}", f"有效期至{until}"),
        ],
        must_not=[
            say(language, "Available¥17,000.00", "可用额度¥17,000.00"),
            say(language, "automated risk system", "自动化风控系统"),
            say(language, "Closing on", "关闭已暂缓"),
        ],
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_restored_after_our_error(client, demo, language):
    body = my_credit(client, "C-1005", language)
    check(
        body,
        must=[
            say(language, "Active", "正常可用"),
            say(language, "Corrected — our error", "已更正——系我方失误"),
            say(language, "Your credit report was not affected", "您的征信报告未受影响"),
        ],
        must_not=[
            say(language, "Why this happened", "原因说明"),
            say(language, "Appeal this decision", "对此决定申诉"),
            "partner feed batch",  # the staff note, never translated, stays off the page
        ],
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_reduced(client, demo, language):
    body = my_credit(client, "C-1007", language)
    check(
        body,
        must=[
            say(language, "Limit reduced", "额度已调低"),
            "¥36,000.00→¥18,000.00",
            "¥15,000.00",
            say(language, "Appeal this decision", "对此决定申诉"),
        ],
        must_not=[say(language, "Not available", "暂不可用"), *_promises(language)],
    )


def test_the_correction_marks_only_the_decision_it_reversed(client, demo):
    body = my_credit(client, "C-1005", "en")
    assert body.count("Corrected—ourerror") == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_appeal_pages_say_what_the_appeal_does_to_this_line(client, demo, language):
    closed = Appeal.objects.get(borrower__customer_id="C-1003")
    held = Appeal.objects.get(borrower__customer_id="C-1006")

    def detail(appeal):
        client.force_login(appeal.borrower)
        client.cookies["recourse_language"] = language
        return plain(client.get(reverse("appeals:detail", args=[appeal.pk]))).replace(" ", "")

    closed_page = detail(closed)
    check(
        closed_page,
        must=[say(language, "your appeal asks us to reopen it", "申诉是请求我们重新开通额度")],
        must_not=[
            say(language, "does not take effect", "不会被关闭"),
            say(language, "will not close", "不会关闭"),
            say(language, "a closure of your credit line can take effect", "关闭决定可能生效"),
        ],
    )
    held_page = detail(held)
    date = on(held.line, language, held.line.closing_effective_at)
    check(
        held_page,
        must=[
            say(language, "your credit line will not close", "您的信用额度不会关闭"),
            say(language, f"closes on {date}", f"将于{date}关闭"),
        ],
        must_not=[say(language, "asks us to reopen it", "请求我们重新开通")],
    )


@pytest.mark.parametrize(
    ("customer_id", "en", "zh"),
    [
        ("C-1002", "While your appeal is open, your credit line will not close", "申诉处理期间"),
        ("C-1004", "if your appeal is approved, you can borrow from it again", "重新使用额度借款"),
        ("C-1007", "we change the decision on your credit line", "更改对您信用额度的决定"),
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_appeal_form_says_what_the_appeal_does_to_this_line(
    client, demo, customer_id, en, zh, language
):
    line = demo[customer_id]
    client.force_login(line.borrower)
    client.cookies["recourse_language"] = language
    decision = line.decisions.order_by("-created_at", "-id").first()
    body = plain(client.get(reverse("appeals:start") + f"?decision={decision.pk}"))
    body = body.replace(" ", "")
    assert say(language, en, zh) in body
    assert (
        say(language, "a closure of your credit line does not take effect", "不会被关闭")
        not in body
    )
    if customer_id == "C-1002":
        assert say(language, "Closure takes effect on", "关闭生效日期") in body


def test_the_api_agrees_nothing_can_be_borrowed_from_a_closed_or_paused_line(client, demo):
    for customer_id, status in (("C-1003", "closed"), ("C-1004", "frozen")):
        client.force_login(demo[customer_id].borrower)
        data = client.get("/api/v1/me/credit-line/").json()
        assert (data["status"], data["available"]) == (status, "0.00")
        assert data["credit_limit"] != "0.00"  # the old limit stays as history


@pytest.mark.parametrize("language", LANGUAGES)
def test_reduction_scheduled(client, demo, language):
    line = demo["C-1010"]
    assert (line.scheduled_change, line.credit_limit) == ("reduce_limit", 28000)
    body = my_credit(client, "C-1010", language)
    date = on(line, language, line.scheduled_change_at)
    check(
        body,
        must=[
            say(language, "Limit reduction scheduled", "额度调整已安排"),
            say(
                language,
                f"Your limit will be reduced to ¥14,000.00 on {date}.",
                f"您的额度将于{date}调低至¥14,000.00。",
            ),
            say(language, "you can borrow up to your current limit", "您仍可按当前额度借款"),
            "¥25,000.00",  # available: still the current limit less what is owed
            say(language, "Appeal this decision", "对此决定申诉"),
        ],
        must_not=[
            say(language, "Not available", "暂不可用"),
            # The cut is not in effect yet: no "Limit reduced" chip or "days left" countdown.
            say(language, "Limit reduced<", "额度已调低<"),
            say(language, "days left", "还剩"),
            *_promises(language),
        ],
    )
    client.cookies["recourse_language"] = language
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    api = client.get("/api/v1/me/credit-line/").json()
    assert api["available"] == "25000.00" and api["credit_limit"] == "28000.00"
    change = api["scheduled_change"]
    assert (change["change"], change["new_limit"], change["held"]) == (
        "reduce_limit",
        "14000.00",
        False,
    )
    assert change["effective_on"] == local_date(line.scheduled_change_at, line.borrower).isoformat()
    assert change["text"].replace(" ", "") == say(
        language,
        f"Your limit will be reduced to ¥14,000.00 on {date}.",
        f"您的额度将于{date}调低至¥14,000.00。",
    )
    assert api["explaining_decision"]["effective_at"] is not None


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_history_tells_a_reduction_as_scheduled_until_it_takes_effect(client, demo, language):
    """Qian Hua's cut takes effect next month: her history said "Limit reduced" above "takes
    effect on …". Zhao Lei's notice has ended: his says "Limit reduced"."""
    reduced = (
        "<strong>Limit reduced</strong>" if language == "en" else "<strong>额度已调低</strong>"
    )
    scheduled = (
        "<strong>Limit reduction scheduled</strong>"
        if language == "en"
        else "<strong>额度调整已安排</strong>"
    )

    def history(customer_id):
        client.force_login(User.objects.get(customer_id=customer_id))
        client.cookies["recourse_language"] = language
        html = client.get(reverse("credit:my-credit")).content.decode()
        return html.split('class="timeline', 1)[1]

    qian = history("C-1010")
    assert scheduled in qian and reduced not in qian
    zhao = history("C-1007")
    assert reduced in zhao and scheduled not in zhao
