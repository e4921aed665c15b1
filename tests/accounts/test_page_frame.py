"""The navigation of every signed-in page is rendered once per process and kept: it must still
mark the page the borrower is on, count their unread messages and speak their language."""

import re

import pytest
from django.urls import reverse

from tests.credit.story import closing_line

pytestmark = pytest.mark.django_db


def _current(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" class="navlink is-current"', html)


def _badges(html: str) -> list[str]:
    return re.findall(r'<span class="badge"[^>]*>(\d+)</span>', html)


def test_the_navigation_marks_the_page_counts_unread_and_speaks_the_language(client):
    line = closing_line(days_ago=7)  # the closure notice is an unread message
    client.force_login(line.borrower)
    client.cookies["recourse_language"] = "en"
    my_credit = client.get(reverse("credit:my-credit")).content.decode()
    appeals = client.get(reverse("appeals:list")).content.decode()
    assert set(_current(my_credit)) == {reverse("credit:my-credit")}
    assert set(_current(appeals)) == {reverse("appeals:list")}
    unread = line.borrower.notifications.filter(channel="inbox", read_at__isnull=True).count()
    assert unread and set(_badges(my_credit)) == {str(unread)}

    line.borrower.notifications.filter(channel="inbox").update(read_at=line.borrower.date_joined)
    again = client.get(reverse("credit:my-credit")).content.decode()
    assert _badges(again) == []

    client.cookies["recourse_language"] = "zh-hans"
    chinese = client.get(reverse("credit:my-credit")).content.decode()
    assert "<span>我的额度</span>" in chinese and "<span>My credit</span>" not in chinese
