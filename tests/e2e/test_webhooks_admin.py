"""A supervisor replays every message of a time range to an endpoint from the admin, on a phone
and a desk, in both languages: choose the endpoint, the action, the range; the deliveries of
that hour are queued again and the others are not."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from playwright.sync_api import expect

from accounts import roles
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import PASSWORD, StaffFactory
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai, the site's zone


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_supervisor_replays_an_hour_of_messages(new_page, language, viewport, size):
    endpoint = services.endpoint_create(url="http://127.0.0.1:9/core", description="Core system")
    for hour in (0, 1, 2):
        with time_machine.travel(DAY + timedelta(hours=hour), tick=False), transaction.atomic():
            services.emit(event_type="credit_line.changed", line_id=7, data={"n": hour})
    WebhookDelivery.objects.update(status=DeliveryStatus.DELIVERED)
    StaffFactory(email="sup@example.com", role=roles.SUPERVISOR, preferred_language=language)

    page = new_page(viewport=viewport, language=language)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto("/admin/login/")
    page.locator("#id_username").fill("sup@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto("/admin/webhooks/webhookendpoint/")
    page.locator(f"input[name=_selected_action][value='{endpoint.pk}']").check()
    page.locator("select[name=action]").select_option("replay_time_range")
    page.locator("button[name=index]").click()

    page.locator("#id_since").fill("2026-11-30T09:30")
    page.locator("#id_until").fill("2026-11-30T10:30")
    screenshot(page, f"webhooks-replay-range-{size}-{language}")
    page.locator("input[type=submit]").click()

    expect(page.locator(".messagelist .success")).to_be_visible()
    screenshot(page, f"webhooks-replay-range-done-{size}-{language}")
    pending = WebhookDelivery.objects.get(status=DeliveryStatus.PENDING)
    assert pending.message == WebhookMessage.objects.get(created_at=DAY + timedelta(hours=1))
    # No asset of these pages is missing and nothing breaks the CSP (Chromium's own favicon
    # request is not one of the pages' assets).
    assert missing == []
    assert [e for e in page.console_errors if "404" not in e] == []
