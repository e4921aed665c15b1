"""The borrower's appeal pages: start from My credit, drafts kept, submit, reply, withdraw,
second review, survey; clear errors that change nothing."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from appeals import services
from appeals.models import Appeal, AppealStatus
from credit import panels
from tests.appeals import factories as f
from tests.appeals.files import pdf, upload
from tests.credit.story import closing_line
from tests.support import plain, text

pytestmark = pytest.mark.django_db
S = AppealStatus


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def test_my_credit_links_to_start_an_appeal_then_shows_the_open_appeal(client):
    line = closing_line()
    client.force_login(line.borrower)
    page = text(client.get(reverse("credit:my-credit")))
    decision = f.latest_decision(line)
    start = reverse("appeals:start") + f"?decision={decision.pk}"
    assert start in page
    appeal = f.submitted_appeal(line=line)
    page = plain(client.get(reverse("credit:my-credit")))
    assert "申诉" in page and appeal.reference in page
    assert start not in text(client.get(reverse("credit:my-credit")))
    assert (
        "The closure is on hold" in page
        or "暂停" in page
        or "hold" in page.lower()
        or "不会关闭" in page
    )


def test_start_form_suggests_evidence_for_the_reason_codes(client):
    line = closing_line()
    client.force_login(line.borrower)
    response = client.get(reverse("appeals:start") + f"?decision={f.latest_decision(line).pk}")
    assert response.status_code == 200
    body = text(response)
    assert 'accept="application/pdf,image/jpeg,image/png"' in body
    assert "10" in plain(response)  # the limits are said
    assert "结清证明" in body  # multi-lending: settlement certificates


def test_filing_a_draft_with_a_file_then_submitting(client):
    line = closing_line()
    client.force_login(line.borrower)
    decision = f.latest_decision(line)
    response = client.post(
        reverse("appeals:start"),
        {
            "decision": decision.pk,
            "grounds": ["repaid_on_time", "closed_other_loans"],
            "statement": "我已结清其他平台借款。",
            "file": pdf(),
        },
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appeals:detail", args=[appeal.pk])
    assert appeal.status == S.DRAFT and appeal.evidence.count() == 1
    # The draft is kept: the page shows it for review.
    detail = plain(client.get(response["Location"]))
    assert "我已结清其他平台借款。" in detail and "statement.pdf" in detail
    client.post(reverse("appeals:submit", args=[appeal.pk]))
    appeal.refresh_from_db()
    assert appeal.status == S.SUBMITTED


def test_a_start_without_grounds_or_statement_shows_errors_and_creates_nothing(client):
    line = closing_line()
    client.force_login(line.borrower)
    response = client.post(reverse("appeals:start"), {"decision": f.latest_decision(line).pk})
    assert response.status_code == 400
    assert not Appeal.objects.exists()
    body = plain(response)
    assert "请至少选择一项申诉理由" in body or "Choose at least one reason" in body


def test_a_bad_file_on_the_detail_page_is_refused_clearly(client):
    appeal = f.draft_appeal()
    client.force_login(appeal.borrower)
    response = client.post(
        reverse("appeals:add-evidence", args=[appeal.pk]),
        {"file": upload("x.pdf", b"not a pdf")},
    )
    assert response.status_code == 400
    assert appeal.evidence.count() == 0
    assert "PDF" in plain(response)


def test_the_start_page_is_rate_limited(client, settings):
    settings.APPEAL_CREATE_RATE = "1/h"
    first = closing_line()
    client.force_login(first.borrower)
    decision = f.latest_decision(first)
    data = {"decision": decision.pk, "grounds": ["other"], "statement": "x"}
    assert client.post(reverse("appeals:start"), data).status_code == 302
    services.appeal_withdraw(appeal=Appeal.objects.get(), actor=first.borrower)
    response = client.post(reverse("appeals:start"), data)
    assert response.status_code == 429
    assert Appeal.objects.count() == 1


def test_the_appeal_page_shows_the_stepper_dates_thread_and_reply(client):
    appeal = f.awaiting_appeal()
    client.force_login(appeal.borrower)
    response = client.get(reverse("appeals:detail", args=[appeal.pk]))
    body = plain(response)
    assert "待补充材料" in body  # the state, in the glossary's words
    assert "请上传其他平台的结清证明。" in body
    assert 'aria-current="step"' in text(response)
    response = client.post(
        reverse("appeals:reply", args=[appeal.pk]), {"body": "已上传", "file": pdf("结清证明.pdf")}
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW
    assert appeal.evidence.get().original_name == "结清证明.pdf"


def test_a_reply_with_a_bad_file_sends_nothing(client):
    appeal = f.awaiting_appeal()
    client.force_login(appeal.borrower)
    response = client.post(
        reverse("appeals:reply", args=[appeal.pk]), {"body": "见附件", "file": upload("a.pdf", b"")}
    )
    assert response.status_code == 400
    appeal.refresh_from_db()
    assert appeal.status == S.AWAITING_BORROWER
    assert appeal.messages.filter(kind="borrower").count() == 0


def test_withdraw_second_review_and_survey_from_the_page(client):
    appeal = f.denied_appeal()
    client.force_login(appeal.borrower)
    page = plain(client.get(reverse("appeals:detail", args=[appeal.pk])))
    assert "复核" in page
    client.post(reverse("appeals:survey", args=[appeal.pk]), {"rating": "3", "comment": "一般"})
    client.post(reverse("appeals:second-review", args=[appeal.pk]), {"statement": "请复核"})
    appeal.refresh_from_db()
    assert appeal.status == S.SECOND_REVIEW
    assert appeal.survey.rating == 3
    client.post(reverse("appeals:withdraw", args=[appeal.pk]))
    appeal.refresh_from_db()
    assert appeal.status == S.WITHDRAWN


def test_a_survey_without_a_rating_is_refused(client):
    appeal = f.denied_appeal()
    client.force_login(appeal.borrower)
    response = client.post(reverse("appeals:survey", args=[appeal.pk]), {"comment": "x"})
    assert response.status_code == 400
    assert not hasattr(Appeal.objects.get(pk=appeal.pk), "survey")


def test_list_and_detail_pages_keep_their_query_count(client, django_assert_max_num_queries):
    appeal = f.awaiting_appeal()
    for _ in range(3):
        services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf())
        services.appeal_staff_message(appeal=appeal, actor=f.agent(), body="x", internal=False)
    client.force_login(appeal.borrower)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("appeals:list")).status_code == 200
    # session, user (with the unread count), the appeal, its decision's reasons (with codes
    # and wordings), evidence, extensions, transitions, the decision after, the thread page
    with django_assert_max_num_queries(9):
        assert client.get(reverse("appeals:detail", args=[appeal.pk])).status_code == 200


def test_english_pages_use_the_glossary(client):
    appeal = f.awaiting_appeal()
    appeal.borrower.preferred_language = "en"
    appeal.borrower.save()
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = "en"
    body = plain(client.get(reverse("appeals:detail", args=[appeal.pk])))
    assert "We need more information" in body
    assert re.search(r"Supporting documents", body)


def test_appeals_fills_the_my_credit_panel_at_start_up():
    assert "appeal" in panels.registered()
