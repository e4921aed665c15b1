"""Issue 11: each message about an appeal in the notifications admin links back to its case
(the desk page), through the seam in the registry (notifications never imports appeals)."""

import re

import pytest
from django.urls import reverse

from appeals import services
from notifications.models import Notification
from notifications.registry import registry
from notifications.services import notify
from tests.appeals import factories as f
from tests.appeals.desk.test_case import case_url, signed_in
from tests.notifications.factories import sample_context

pytestmark = pytest.mark.django_db
OUTBOX = "admin:notifications_notification_changelist"


def _links(page: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" class="notification-about">', page)


def test_messages_about_an_appeal_link_to_its_desk_page_and_others_do_not(client, borrower):
    worker = f.agent(full_name="Agent Lin")
    appeal = f.awaiting_appeal(worker=worker)
    services.appeal_borrower_message(appeal=appeal, actor=appeal.borrower, body="已上传证明")
    notify(
        recipient=borrower,
        event="credit.closed",
        context=sample_context("credit.closed"),
        obj=borrower,
    )
    about_appeal = Notification.objects.exclude(event__startswith="credit.")
    # The borrower's notices (submitted, information requested) and the assignee's.
    events = set(about_appeal.values_list("event", flat=True))
    assert {"appeal.submitted", "appeal.info_requested", "staff.borrower_replied"} <= events

    client = signed_in(client, f.supervisor())
    page = client.get(reverse(OUTBOX)).content.decode()
    links = _links(page)
    assert len(links) == about_appeal.count()
    assert set(links) == {case_url(appeal)}
    assert Notification.objects.filter(event__startswith="credit.").exists()

    credit_row = Notification.objects.filter(event="credit.closed").first()
    assert registry.admin_link(credit_row) == ""
    detail = client.get(reverse("admin:notifications_notification_change", args=[credit_row.pk]))
    assert _links(detail.content.decode()) == []

    staff_row = Notification.objects.filter(event="staff.borrower_replied").first()
    detail = client.get(reverse("admin:notifications_notification_change", args=[staff_row.pk]))
    assert _links(detail.content.decode()) == [case_url(appeal)]
    # The link opens the case.
    assert client.get(case_url(appeal)).status_code == 200


def test_the_link_comes_from_the_page_linked_when_the_facts_name_no_reference(borrower):
    appeal = f.submitted_appeal()
    row = Notification.objects.filter(event="appeal.submitted").first()
    row.context = {}
    assert registry.admin_link(row) == case_url(appeal)
    row.link = "/somewhere/else/"
    assert registry.admin_link(row) == ""
