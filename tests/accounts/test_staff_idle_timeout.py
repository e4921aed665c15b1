"""Finding 11 of issue 15: staff sessions end after a short idle time; borrowers' do not."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_staff_are_signed_out_after_thirty_idle_minutes(client, staff_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(staff_user)
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/admin/").status_code == 200  # activity keeps it alive
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
        assert "_auth_user_id" not in client.session
        assert client.get("/admin/").status_code == 302


def test_borrowers_are_not_signed_out_after_an_idle_hour(client, borrower):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(borrower)
        client.get(reverse("credit:my-credit"))
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert client.get(reverse("credit:my-credit")).status_code == 200
