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


def _switcher_next(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="next" value="([^"]*)">', html)


def _sign_out_token(html: str) -> str:
    action = f'<form method="post" action="{reverse("logout")}"'
    form = re.search(re.escape(action) + r".*?</form>", html, re.S)
    assert form is not None, "no sign-out form"
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)


def test_the_kept_frame_returns_the_language_switch_to_each_requests_own_page(client):
    line = closing_line(days_ago=7)
    client.force_login(line.borrower)
    first = client.get(reverse("credit:my-credit")).content.decode()
    odd = client.get(reverse("credit:my-credit") + '?x="><b>hi</b>&y=1').content.decode()

    assert _switcher_next(first) == [reverse("credit:my-credit")]
    assert _switcher_next(odd) == [
        reverse("credit:my-credit") + "?x=%22%3E%3Cb%3Ehi%3C/b%3E&amp;y=1"
    ]
    assert "<b>hi</b>" not in odd


def test_the_kept_frame_signs_out_with_this_requests_csrf_token():
    from django.test import Client

    line = closing_line(days_ago=7)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(line.borrower)
    page = browser.get(reverse("credit:my-credit")).content.decode()
    token = _sign_out_token(page)

    assert "csrf-" not in token
    answer = browser.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert answer.status_code == 302
    assert browser.get(reverse("credit:my-credit")).status_code == 302  # signed out


def test_the_kept_frame_differs_for_a_borrower_staff_and_nobody(client):
    from tests.factories import StaffFactory

    line = closing_line(days_ago=7)
    client.force_login(line.borrower)
    borrower_page = client.get(reverse("help")).content.decode()
    client.logout()
    anonymous_page = client.get(reverse("help")).content.decode()
    client.force_login(StaffFactory())
    staff_page = client.get(reverse("help")).content.decode()

    sign_out = f'action="{reverse("logout")}"'
    assert 'class="tabbar"' in borrower_page and sign_out in borrower_page
    assert 'class="tabbar"' not in anonymous_page and sign_out not in anonymous_page
    assert 'class="tabbar"' not in staff_page and sign_out in staff_page
    footer = re.compile(r'<footer class="footer">.*?</footer>', re.S)
    assert reverse("appeals:support") in footer.search(borrower_page).group(0)
    assert reverse("appeals:support") not in footer.search(staff_page).group(0)
