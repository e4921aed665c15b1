"""The outbox in the admin: read-only, filters, and the resend/cancel actions."""

import pytest
from django.urls import reverse

from notifications.models import Notification, Status
from notifications.services import notification_deliver, notify
from tests.factories import StaffFactory
from tests.notifications.factories import sample_context

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


@pytest.fixture
def rows(borrower):
    event = "credit.closed"
    notify(recipient=borrower, event=event, context=sample_context(event), obj=borrower)
    return {r.channel: r for r in Notification.objects.all()}


def test_supervisor_sees_the_outbox_and_filters_it(client, rows, django_assert_max_num_queries):
    client.force_login(StaffFactory(role="supervisor"))
    url = reverse("admin:notifications_notification_changelist")
    with django_assert_max_num_queries(15):
        response = client.get(url, {"status": "pending", "channel": "sms"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [rows["sms"]]
    detail = client.get(reverse("admin:notifications_notification_change", args=[rows["sms"].pk]))
    assert "您的信用额度已于" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()  # read-only: nothing to save


def test_resend_only_failed_rows(client, rows, django_capture_on_commit_callbacks):
    rows["sms"].status = Status.FAILED
    Notification.objects.filter(pk=rows["sms"].pk).update(status=Status.FAILED)
    notification_deliver(notification_id=rows["email"].pk)
    client.force_login(StaffFactory(role="supervisor"))
    url = reverse("admin:notifications_notification_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"action": "resend", "_selected_action": [rows["sms"].pk, rows["email"].pk]},
            follow=True,
        )
    assert "1 条通知不是发送失败状态" in response.content.decode()
    assert Notification.objects.get(pk=rows["sms"].pk).status == Status.SENT  # eager delivery
    assert Notification.objects.get(pk=rows["email"].pk).delivery_attempts.count() == 1


def test_cancel_pending(client, rows):
    client.force_login(StaffFactory(role="supervisor"))
    url = reverse("admin:notifications_notification_changelist")
    client.post(url, {"action": "cancel", "_selected_action": [rows["sms"].pk]})
    assert Notification.objects.get(pk=rows["sms"].pk).status == Status.CANCELLED


def test_an_agent_reads_but_cannot_resend_or_cancel(client, rows):
    client.force_login(StaffFactory(role="agent"))
    url = reverse("admin:notifications_notification_changelist")
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["action_form"] is None  # no action this role may take
    client.post(url, {"action": "cancel", "_selected_action": [rows["sms"].pk]})
    assert Notification.objects.get(pk=rows["sms"].pk).status == Status.PENDING


def test_staff_read_their_own_messages_in_the_admin(client, borrower):
    agent = StaffFactory(role="agent")
    other = StaffFactory(role="agent")
    event = "staff.appeal_assigned"
    mine = notify(recipient=agent, event=event, context=sample_context(event), obj=borrower)
    notify(recipient=other, event=event, context=sample_context(event), obj=borrower)
    inbox = next(r for r in mine if r.channel == "inbox")
    client.force_login(agent)
    listing = client.get(reverse("admin:notifications_staffmessage_changelist"))
    assert list(listing.context["cl"].result_list) == [inbox]
    detail = client.get(reverse("admin:notifications_staffmessage_change", args=[inbox.pk]))
    assert detail.status_code == 200 and "A-2026-000123" in detail.content.decode()
    inbox.refresh_from_db()
    assert inbox.read_at is not None
    theirs = Notification.objects.get(recipient=other, channel="inbox")
    response = client.get(reverse("admin:notifications_staffmessage_change", args=[theirs.pk]))
    assert response.status_code == 302  # "doesn't exist" redirect, never their content


def test_the_admin_escapes_stored_content(client, borrower):
    event = "appeal.message_received"
    notify(
        recipient=borrower,
        event=event,
        context={"appeal_reference": "A-1", "excerpt": "<img src=x onerror=alert(1)>"},
        dedupe_key="m1",
    )
    row = Notification.objects.get(channel="inbox")
    client.force_login(StaffFactory(role="supervisor"))
    page = client.get(reverse("admin:notifications_notification_change", args=[row.pk]))
    assert "<img src=x" not in page.content.decode()
    assert "&lt;img src=x" in page.content.decode()
