"""The Messages page, the settings page, the header badge and the borrower API."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification, Preference
from notifications.services import notify
from tests.factories import BorrowerFactory, StaffFactory
from tests.notifications.factories import sample_context
from tests.support import text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


def _inbox_message(user, event="credit.closed", key="k"):
    rows = notify(recipient=user, event=event, context=sample_context(event), dedupe_key=key)
    return next(r for r in rows if r.channel == "inbox")


def test_inbox_lists_only_my_messages_with_the_unread_badge(
    client, borrower, django_assert_max_num_queries
):
    for n in range(15):
        _inbox_message(borrower, key=f"k{n}")
    _inbox_message(BorrowerFactory(), key="someone-else")
    client.force_login(borrower)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notifications:inbox"))
    body = text(response)
    assert response.status_code == 200
    assert body.count("您的信用额度已关闭") == 15
    assert 'class="badge"' in body and ">15<" in body


def test_opening_a_message_marks_it_read_and_clears_the_badge(client, borrower):
    message = _inbox_message(borrower)
    client.force_login(borrower)
    response = client.get(reverse("notifications:detail", args=[message.pk]))
    assert response.status_code == 200
    assert "近期在多家平台申请借款" in text(response)
    message.refresh_from_db()
    assert message.read_at is not None
    assert 'class="badge"' not in text(client.get(reverse("notifications:inbox")))


def test_someone_elses_message_is_404(client, borrower):
    other = _inbox_message(BorrowerFactory())
    client.force_login(borrower)
    assert client.get(reverse("notifications:detail", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_all_read(client, borrower):
    _inbox_message(borrower, key="a")
    _inbox_message(borrower, key="b")
    client.force_login(borrower)
    assert client.get(reverse("notifications:read-all")).status_code == 405
    client.post(reverse("notifications:read-all"))
    assert not Notification.objects.filter(channel="inbox", read_at__isnull=True).exists()


def test_the_badge_costs_nothing_for_staff_and_visitors(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get(reverse("login"))
    client.force_login(StaffFactory())
    response = client.get(reverse("notifications:inbox"))
    assert "unread_notifications" not in response.context


def test_settings_page_saves_choices_and_states_the_legal_rule(client, borrower):
    client.force_login(borrower)
    page = text(client.get(reverse("notifications:preferences")))
    assert "始终会出现在消息中心" in page
    assert "提示与提醒" in page and "分配给您的工作" not in page
    response = client.post(
        reverse("notifications:preferences"),
        {"credit__email": "on", "credit__inbox": "on", "appeals__inbox": "on"},
    )
    assert response.status_code == 302
    stored = {(p.category, p.channel): p.enabled for p in Preference.objects.filter(user=borrower)}
    assert stored[("credit", "sms")] is False and stored[("credit", "email")] is True
    assert stored[("tips", "sms")] is False


def test_settings_page_in_english(client):
    borrower = BorrowerFactory(preferred_language="en")
    client.force_login(borrower)
    client.cookies["recourse_language"] = "en"
    page = text(client.get(reverse("notifications:preferences")))
    assert "always reach you in Messages" in page


# --- API ----------------------------------------------------------------------------------


def test_api_lists_my_inbox_and_marks_read(client, borrower, django_assert_max_num_queries):
    for n in range(5):
        _inbox_message(borrower, key=f"k{n}")
    _inbox_message(BorrowerFactory(), key="x")
    client.force_login(borrower)
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/notifications/")
    data = response.json()
    assert data["count"] == 5
    first = data["results"][0]
    assert first["title"] == "您的信用额度已关闭" and first["is_read"] is False
    assert first["is_legal_notice"] is True
    read = client.post(f"/api/v1/notifications/{first['id']}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True


def test_api_someone_elses_id_is_404_in_the_error_shape(client, borrower):
    other = _inbox_message(BorrowerFactory())
    client.force_login(borrower)
    response = client.post(f"/api/v1/notifications/{other.pk}/read/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_needs_authentication(client):
    assert client.get("/api/v1/notifications/").status_code in (401, 403)


def test_api_preferences_round_trip_and_bad_input(client, borrower):
    client.force_login(borrower)
    got = client.get("/api/v1/notifications/preferences/").json()
    assert {"category": "tips", "channel": "sms", "enabled": False} in got["preferences"]
    assert "always reach the inbox" in got["legal_notice_rule"]
    put = client.put(
        "/api/v1/notifications/preferences/",
        {"preferences": [{"category": "credit", "channel": "sms", "enabled": False}]},
        content_type="application/json",
    )
    assert put.status_code == 200
    assert {"category": "credit", "channel": "sms", "enabled": False} in put.json()["preferences"]
    bad = client.put(
        "/api/v1/notifications/preferences/",
        {"preferences": [{"category": "staff", "channel": "email", "enabled": False}]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "preferences" in bad.json()["error"]["fields"]
    assert not Preference.objects.filter(category="staff").exists()
    missing = client.put("/api/v1/notifications/preferences/", {}, content_type="application/json")
    assert missing.status_code == 400


def _badge(response) -> int:
    """The unread number in the header badge (0 when there is no badge)."""
    found = re.search(r'<span class="badge" aria-label="[^"]*">(\d+)</span>', text(response))
    return int(found.group(1)) if found else 0


def test_the_badge_follows_new_notices_and_reads(client, borrower):
    first = _inbox_message(borrower, key="a")
    client.force_login(borrower)
    page = reverse("credit:my-credit")
    assert _badge(client.get(page)) == 1
    _inbox_message(borrower, key="b")
    assert _badge(client.get(page)) == 2
    # The message's own page already counts it read.
    assert _badge(client.get(reverse("notifications:detail", args=[first.pk]))) == 1
    assert _badge(client.get(page)) == 1
    client.post(reverse("notifications:read-all"))
    assert _badge(client.get(page)) == 0


def test_the_badge_is_read_with_the_signed_in_user_not_by_a_query_of_its_own(client, borrower):
    _inbox_message(borrower, key="a")
    client.force_login(borrower)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("credit:my-credit"))
    assert _badge(response) == 1
    notification_reads = [
        q["sql"] for q in queries.captured_queries if "notifications_notification" in q["sql"]
    ]
    assert len(notification_reads) == 1, notification_reads
    assert "accounts_user" in notification_reads[0]  # the subquery of the user's read
