"""Support requests: a borrower who cannot appeal (or anyone signed in) writes to the desk; the
desk replies and closes in the admin; the borrower is told of a reply. Only their own."""

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from appeals import services
from appeals.models import SupportMessage, SupportRequest, SupportRequestStatus
from notifications.models import Notification
from tests.appeals import factories as f
from tests.credit.story import active_line, closing_line
from tests.support import plain

pytestmark = pytest.mark.django_db
ST = SupportRequestStatus


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _signed_in(client, user, language="zh-hans"):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    return client


@pytest.mark.parametrize(
    ("language", "sent"),
    [("en", "Your message was sent."), ("zh-hans", "您的消息已发送")],
)
def test_a_borrower_writes_and_reads_the_answer(client, language, sent):
    line = active_line()
    _signed_in(client, line.borrower, language)
    assert client.get(reverse("appeals:support-new")).status_code == 200
    response = client.post(
        reverse("appeals:support-new"),
        {"subject": "Window passed", "body": "I missed the appeal window. Can you help?"},
        follow=True,
    )
    assert response.status_code == 200
    page = plain(response)
    assert sent in page and "I missed the appeal window" in page
    support = SupportRequest.objects.get(borrower=line.borrower)
    assert support.status == ST.OPEN

    agent = f.agent()
    services.support_staff_reply(request=support, actor=agent, body="We looked at it: call us.")
    support.refresh_from_db()
    assert support.status == ST.ANSWERED
    told = Notification.objects.filter(
        recipient=line.borrower, event="support.replied", channel="inbox"
    )
    assert told.count() == 1
    page = plain(client.get(reverse("appeals:support-detail", args=[support.pk])))
    assert "We looked at it: call us." in page
    inbox = plain(client.get(reverse("notifications:inbox")))
    assert support.reference in inbox


def test_an_empty_request_is_refused_and_nothing_is_stored(client):
    line = active_line()
    _signed_in(client, line.borrower, "en")
    response = client.post(reverse("appeals:support-new"), {"subject": "", "body": " "})
    assert response.status_code == 400
    assert "short subject" in plain(response)
    assert not SupportRequest.objects.exists()


def test_a_borrower_message_reopens_a_closed_request():
    line = active_line()
    support = services.support_request_open(borrower=line.borrower, subject="s", body="first")
    services.support_request_close(request=support, actor=f.agent())
    support.refresh_from_db()
    assert support.status == ST.CLOSED and support.closed_at
    services.support_borrower_message(request=support, actor=line.borrower, body="one more")
    support.refresh_from_db()
    assert support.status == ST.OPEN and support.closed_at is None
    assert list(support.messages.values_list("body", flat=True)) == ["first", "one more"]


def test_only_the_desk_answers_and_only_the_borrower_writes():
    line = active_line()
    support = services.support_request_open(borrower=line.borrower, subject="s", body="first")
    other = active_line().borrower
    with pytest.raises(PermissionDenied):
        services.support_staff_reply(request=support, actor=other, body="not staff")
    with pytest.raises(PermissionDenied):
        services.support_borrower_message(request=support, actor=other, body="not mine")
    with pytest.raises(PermissionDenied):
        services.support_staff_reply(request=support, actor=f.auditor(), body="reads only")
    with pytest.raises(ValidationError):
        services.support_staff_reply(request=support, actor=f.agent(), body="  ")
    assert SupportMessage.objects.filter(request=support).count() == 1
    assert not Notification.objects.filter(event="support.replied").exists()


def test_another_borrowers_request_answers_404(client):
    mine = services.support_request_open(
        borrower=active_line().borrower, subject="mine", body="private"
    )
    _signed_in(client, active_line().borrower)
    assert client.get(reverse("appeals:support-detail", args=[mine.pk])).status_code == 404
    response = client.post(reverse("appeals:support-reply", args=[mine.pk]), {"body": "x"})
    assert response.status_code == 404
    assert mine.messages.count() == 1
    assert "private" not in plain(client.get(reverse("appeals:support")))


def test_my_credit_offers_a_support_request_where_no_appeal_is_possible(client, settings):
    line = closing_line(days_ago=90)  # the 60-day appeal window has passed
    _signed_in(client, line.borrower, "en")
    page = client.get(reverse("credit:my-credit")).content.decode()
    assert reverse("appeals:support-new") + "?decision=" in page
    assert reverse("appeals:start") not in page


def test_the_desk_replies_and_closes_in_the_admin(client):
    line = active_line()
    support = services.support_request_open(borrower=line.borrower, subject="s", body="first")
    agent = f.agent()
    client.force_login(agent)
    url = reverse("admin:appeals_supportrequest_change", args=[support.pk])
    page = client.get(url)
    assert page.status_code == 200 and "first" in plain(page)
    thread = {  # the read-only thread's management form, as the page sends it
        "messages-TOTAL_FORMS": "1",
        "messages-INITIAL_FORMS": "1",
        "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "1000",
        "messages-0-id": str(support.messages.get().pk),
        "messages-0-request": str(support.pk),
    }
    response = client.post(url, {"reply": "Answered here.", "close": "on", **thread})
    assert response.status_code == 302, plain(response)[:2000]
    support.refresh_from_db()
    assert support.status == ST.CLOSED and support.closed_by == agent
    assert support.messages.filter(from_staff=True, body="Answered here.").exists()
    assert Notification.objects.filter(recipient=line.borrower, event="support.replied").exists()


def test_the_demo_shows_an_answered_support_request_once(client):
    from django.core.management import call_command

    call_command("seed_demo")
    call_command("seed_demo")  # a second run changes nothing
    support = SupportRequest.objects.get(borrower__customer_id="C-1005")
    assert support.status == ST.ANSWERED
    assert support.messages.count() == 2
    _signed_in(client, support.borrower, "zh-hans")
    assert support.subject in plain(client.get(reverse("appeals:support")))
