"""Internal notes never leak: not on the borrower's pages, the API, a notification, an email,
an SMS, or the data a borrower can take away (the API's JSON is their export)."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from appeals import services
from notifications import sms
from notifications.models import Notification
from tests.appeals import factories as f
from tests.support import text

pytestmark = pytest.mark.django_db

SECRET = "INTERNAL-疑似中介代办-do-not-show"
PUBLIC = "请上传结清证明，谢谢。"


@pytest.fixture
def appeal_with_note(django_capture_on_commit_callbacks):
    worker = f.agent()
    with django_capture_on_commit_callbacks(execute=True):
        appeal = f.in_review_appeal(worker=worker)
        services.appeal_staff_message(appeal=appeal, actor=worker, body=SECRET, internal=True)
        services.appeal_staff_message(appeal=appeal, actor=worker, body=PUBLIC, internal=False)
        services.appeal_request_info(appeal=appeal, actor=worker, request="请补充收入证明")
        services.appeal_staff_message(
            appeal=appeal, actor=worker, body=SECRET + " again", internal=True
        )
    return appeal


def test_not_on_the_borrowers_pages(client, appeal_with_note):
    client.force_login(appeal_with_note.borrower)
    for url in (
        reverse("appeals:detail", args=[appeal_with_note.pk]),
        reverse("appeals:list"),
        reverse("credit:my-credit"),
        reverse("notifications:inbox"),
    ):
        body = text(client.get(url))
        assert SECRET not in body, url
    assert PUBLIC in text(client.get(reverse("appeals:detail", args=[appeal_with_note.pk])))


def test_not_in_the_api(client, appeal_with_note):
    client.force_login(appeal_with_note.borrower)
    for url in (
        reverse("api-appeals"),
        reverse("api-appeal", args=[appeal_with_note.pk]),
        reverse("api-appeal-messages", args=[appeal_with_note.pk]),
        reverse("api-appeal-evidence", args=[appeal_with_note.pk]),
        "/api/v1/me/credit-line/",
        "/api/v1/me/decisions/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in json.dumps(response.json(), ensure_ascii=False), url
    messages = client.get(reverse("api-appeal-messages", args=[appeal_with_note.pk])).json()
    assert [m["body"] for m in messages] == [PUBLIC, "请补充收入证明"]
    assert {m["author"] for m in messages} == {"staff"}


def test_not_in_any_notification_email_or_sms(appeal_with_note):
    rows = Notification.objects.filter(recipient=appeal_with_note.borrower)
    assert rows.filter(event="appeal.message_received").count() == 2  # email + inbox, once
    for row in rows:
        blob = json.dumps(row.context, ensure_ascii=False) + row.subject + row.body_text
        assert SECRET not in blob + row.body_html
    assert mail.outbox, "the emails were delivered"
    for message in mail.outbox:
        assert SECRET not in message.body
        assert all(SECRET not in alt[0] for alt in getattr(message, "alternatives", []))
    assert all(SECRET not in m.body for m in sms.outbox)


def test_an_internal_note_tells_nobody(appeal_with_note):
    before = Notification.objects.count()
    services.appeal_staff_message(
        appeal=appeal_with_note, actor=f.agent(), body="another note", internal=True
    )
    assert Notification.objects.count() == before


def test_staff_see_the_notes_in_the_admin(client, appeal_with_note):
    client.force_login(f.auditor())
    response = client.get(reverse("admin:appeals_appeal_change", args=[appeal_with_note.pk]))
    assert response.status_code == 200
    assert SECRET in text(response)
