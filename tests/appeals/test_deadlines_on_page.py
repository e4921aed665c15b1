"""Every deadline that binds anyone is on the appeal page, as a date in the borrower's zone."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.localtime import format_local_date
from appeals import services
from tests.appeals import factories as f
from tests.support import plain

pytestmark = pytest.mark.django_db


def page(client, appeal, language):
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = language
    response = client.get(reverse("appeals:detail", args=[appeal.pk]))
    assert response.status_code == 200
    return plain(response).replace(" ", "")


def on(appeal, language, moment):
    with translation.override(language):
        return format_local_date(moment, appeal.borrower).replace(" ", "")


def say(language, en, zh):
    return (en if language == "en" else zh).replace(" ", "")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_draft_shows_the_last_day_to_submit_and_the_closure_date(client, language):
    appeal = f.draft_appeal()
    until = services.decision_appealable_until(appeal.decision, now=timezone.now())
    body = page(client, appeal, language)
    assert say(language, "Submit by", "提交截止日期") + on(appeal, language, until) in body
    closes = on(appeal, language, appeal.line.closing_effective_at)
    assert say(language, "Closure takes effect on", "关闭生效日期") + closes in body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_worked_appeal_shows_reply_decision_extension_and_closure_dates(client, language):
    appeal = f.in_review_appeal()
    supervisor = f.supervisor()
    appeal = services.appeal_extend(appeal=appeal, actor=supervisor, reason="需要向征信机构核实。")
    appeal.refresh_from_db()
    extension = appeal.extensions.get()
    body = page(client, appeal, language)
    expected = [
        say(language, "Reply expected by", "预计答复时间")
        + on(appeal, language, appeal.first_response_due),
        say(language, "Decision expected by", "预计处理完成时间")
        + on(appeal, language, appeal.resolution_due),
        on(appeal, language, extension.resolution_due_after),
        "需要向征信机构核实。",
        on(appeal, language, appeal.line.closing_effective_at),
    ]
    for text in expected:
        assert text in body, text
    assert ":" not in body.split(say(language, "Dates", "日期"), 1)[1].split(
        say(language, "Supportingdocuments", "证明材料"), 1
    )[0].replace("https:", ""), "dates, not times"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_waiting_for_the_borrower_shows_the_reply_deadline(client, language):
    appeal = f.awaiting_appeal()
    body = page(client, appeal, language)
    assert (
        say(language, "Your reply by", "回复截止日期")
        + on(appeal, language, appeal.borrower_reply_due)
        in body
    )
