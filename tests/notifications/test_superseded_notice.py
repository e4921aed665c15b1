"""A closing notice that a restoration replaced is marked superseded in the inbox: shown as no
longer applying, neither unread nor important, and kept as the record of what was sent."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from notifications.models import Notification
from tests.credit.story import closing_line, restored_line
from tests.factories import BorrowerFactory
from tests.support import plain

pytestmark = pytest.mark.django_db


def _closing_notice(line):
    return Notification.objects.get(
        recipient=line.borrower, channel="inbox", event="credit.closure_scheduled"
    )


def _page(client, user, language, url):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return plain(response)


def test_a_closing_notice_still_in_force_is_important_and_unread(client):
    line = closing_line(borrower=BorrowerFactory(preferred_language="en"))
    notice = _closing_notice(line)
    assert notice.superseded_at is None and notice.is_unread
    inbox = _page(client, line.borrower, "en", reverse("notifications:inbox"))
    assert "Important notice" in inbox
    assert "No longer applies" not in inbox


@pytest.mark.parametrize(
    ("language", "chip", "note"),
    [
        ("en", "No longer applies", "This message no longer applies"),
        ("zh-hans", "已不再适用", "此消息已不再适用"),
    ],
)
def test_restoring_the_line_supersedes_its_closing_notice(client, language, chip, note):
    line = restored_line(borrower=BorrowerFactory(preferred_language=language))
    notice = _closing_notice(line)
    assert notice.superseded_at is not None
    assert not notice.is_unread  # no longer counts as unread
    assert notice.body_text  # kept as the record of what was sent

    inbox = _page(client, line.borrower, language, reverse("notifications:inbox"))
    assert chip in inbox
    detail = _page(
        client, line.borrower, language, reverse("notifications:detail", args=[notice.pk])
    )
    assert chip in detail and note in detail
    # the restoration itself is a new, unread message
    restored = Notification.objects.get(
        recipient=line.borrower, channel="inbox", event="credit.reinstated"
    )
    assert restored.superseded_at is None and restored.is_unread


def test_a_correction_supersedes_the_closing_notice(client):
    call_command("seed_demo")
    emma = User.objects.get(customer_id="C-1005")
    adverse = Notification.objects.filter(
        recipient=emma, channel="inbox", event__in=["credit.closure_scheduled", "credit.closed"]
    )
    assert adverse.exists()
    assert not adverse.filter(superseded_at__isnull=True).exists()
    assert not adverse.filter(read_at__isnull=True).exists()
