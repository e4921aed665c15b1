"""Issue 11: the why in words on the case page (labelled features, versions, links) and one
History that tells the story; Django's empty change history never shows."""

import pytest
from django.urls import reverse

from appeals import services
from notifications.models import Notification
from tests.appeals import factories as f
from tests.appeals.desk.test_case import case_url, page_text, signed_in
from tests.appeals.files import pdf as pdf_upload

pytestmark = pytest.mark.django_db


def test_the_case_shows_features_as_a_labelled_table_and_links_to_the_story(client):
    worker = f.agent()
    appeal = f.awaiting_appeal(worker=worker)
    client = signed_in(client, worker)
    page = page_text(client.get(case_url(appeal)))
    assert '<th scope="row">Loans open at other lenders</th>' in page
    assert "open_external_loans" not in page  # a label, not the engine's name
    assert "Scorecard v" in page and "Decision policy v" in page
    decision_url = reverse("admin:credit_creditdecision_change", args=[appeal.decision_id])
    line_url = reverse("admin:credit_creditline_change", args=[appeal.line_id])
    assert f'href="{decision_url}"' in page and f'href="{line_url}"' in page
    for name in ("decision", "line"):
        url = decision_url if name == "decision" else line_url
        assert client.get(url).status_code == 200

    href = page.split('">This borrower')[0].rsplit('href="', 1)[1].replace("&amp;", "&")
    listing = page_text(client.get(href))
    assert appeal.reference in listing
    assert appeal.borrower.customer_id in listing


def test_the_messages_link_lists_the_notices_sent_about_this_case(client):
    worker = f.agent()
    appeal = f.awaiting_appeal(worker=worker)  # the borrower was asked: notices sent
    unrelated = f.awaiting_appeal(worker=worker)
    supervisor = f.supervisor()
    client = signed_in(client, supervisor)
    page = page_text(client.get(case_url(appeal)))
    href = page.split('">Messages sent about this case')[0].rsplit('href="', 1)[1]
    listing = page_text(client.get(href.replace("&amp;", "&")))
    ours = Notification.objects.filter(link=reverse("appeals:detail", args=[appeal.pk]))
    theirs = Notification.objects.filter(link=reverse("appeals:detail", args=[unrelated.pk]))
    assert ours.exists() and theirs.exists()
    assert all(f"/notification/{n.pk}/change/" in listing for n in ours)
    assert not any(f"/notification/{n.pk}/change/" in listing for n in theirs)


def test_history_is_one_timeline_and_the_admin_history_goes_there(client):
    worker = f.agent(full_name="Agent Lin")
    appeal = f.draft_appeal()
    services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf_upload("slip.pdf"))
    appeal = services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    appeal = services.appeal_start_review(appeal=appeal, actor=worker)
    services.appeal_staff_message(appeal=appeal, actor=worker, body="先核对流水", internal=True)
    services.appeal_request_info(appeal=appeal, actor=worker, request="请上传结清证明")
    services.appeal_borrower_message(appeal=appeal, actor=appeal.borrower, body="已上传")
    client = signed_in(client, worker)
    page = page_text(client.get(case_url(appeal)))
    history = page[page.index('id="h-timeline"') :]
    for words in (
        "Document added: slip.pdf",
        "Submitted → Under review",
        "Internal note",
        "先核对流水",
        "Message from the borrower",
        "已上传",
    ):
        assert words in history, words
    # Oldest first: the document before the note before the borrower's answer.
    assert history.index("slip.pdf") < history.index("先核对流水") < history.index("已上传")

    response = client.get(reverse("admin:appeals_appeal_history", args=[appeal.pk]))
    assert response.status_code == 302 and response.url.endswith("#h-timeline")
    assert "change history" not in page_text(client.get(response.url)).lower()
