"""The inbox shows every message in the reader's current language: rendered from the stored
event and context when read, not in the language of the day it was sent."""

import re

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.credit.story import closing_line
from tests.factories import BorrowerFactory
from tests.support import plain

pytestmark = pytest.mark.django_db


def _read(client, user, language, url):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return plain(response)


def test_a_message_sent_in_chinese_reads_in_english_after_switching(client, settings):
    line = closing_line(borrower=BorrowerFactory(preferred_language="zh-hans"))
    sent = Notification.objects.get(
        recipient=line.borrower, channel="inbox", event="credit.closure_scheduled"
    )
    assert sent.language == "zh-hans" and re.search(r"[\u4e00-\u9fff]", sent.subject)

    english_list = _read(client, line.borrower, "en", reverse("notifications:inbox"))
    english = _read(client, line.borrower, "en", reverse("notifications:detail", args=[sent.pk]))
    assert sent.subject not in english_list and sent.subject not in english
    assert "credit line" in english.lower()
    chinese = _read(
        client, line.borrower, "zh-hans", reverse("notifications:detail", args=[sent.pk])
    )
    assert sent.subject in chinese
    sent.refresh_from_db()
    assert sent.language == "zh-hans"  # the record of what was sent is unchanged


def test_a_message_whose_context_no_longer_renders_is_shown_as_sent(client, settings):
    line = closing_line(borrower=BorrowerFactory(preferred_language="zh-hans"))
    sent = Notification.objects.get(
        recipient=line.borrower, channel="inbox", event="credit.closure_scheduled"
    )
    Notification.objects.filter(pk=sent.pk).update(context={})
    body = _read(client, line.borrower, "en", reverse("notifications:detail", args=[sent.pk]))
    assert sent.subject in body


def test_a_message_whose_templates_are_gone_is_shown_as_sent(client, monkeypatch):
    line = closing_line(borrower=BorrowerFactory(preferred_language="zh-hans"))
    sent = Notification.objects.get(
        recipient=line.borrower, channel="inbox", event="credit.closure_scheduled"
    )
    monkeypatch.setattr(
        "notifications.rendering.template_name", lambda spec, language, part: f"gone/{part}"
    )
    body = _read(client, line.borrower, "en", reverse("notifications:detail", args=[sent.pk]))
    assert sent.subject in body
