"""A supervisor registers an endpoint choosing among the registered event types, sees each
delivery with its attempts, and replays one from the admin."""

import pytest

from credit import services as credit_services
from tests.appeals.factories import supervisor
from tests.credit.factories import make_line
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_register_an_endpoint_then_see_and_replay_its_deliveries(client):
    client.force_login(supervisor())
    page = client.get("/admin/webhooks/webhookendpoint/add/")
    assert b"credit_line.changed" in page.content and b"appeal.decided" in page.content

    response = client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {
            "url": "http://127.0.0.1:9/hooks",
            "description": "Core",
            "event_types": ["credit_line.changed"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["credit_line.changed"]
    assert endpoint.secret.startswith("whsec_")

    credit_services.credit_line_decide(
        line=make_line(), outcome="freeze", trigger="staff", reason_codes=["policy_adjustment"]
    )
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    listing = client.get("/admin/webhooks/webhookdelivery/")
    assert b"credit_line.changed" in listing.content
    assert client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").status_code == 200

    client.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "replay", "_selected_action": [delivery.pk]},
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_replay_a_time_range_to_an_endpoint_from_the_admin(client):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from webhooks import services
    from webhooks.models import WebhookMessage

    client.force_login(supervisor())
    endpoint = services.endpoint_create(url="http://127.0.0.1:9/hooks")
    day = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    for hour in (0, 1, 2):  # messages at 09:00, 10:00, 11:00 UTC
        with time_machine.travel(day + timedelta(hours=hour), tick=False):
            services.emit(event_type="credit_line.changed", line_id=1, data={"n": hour})
    WebhookDelivery.objects.update(status=DeliveryStatus.DELIVERED)
    url = "/admin/webhooks/webhookendpoint/"
    chosen = {"action": "replay_time_range", "_selected_action": [endpoint.pk]}

    form = client.post(url, chosen)
    assert form.status_code == 200 and b'type="datetime-local"' in form.content

    # The supervisor's zone is the site's (Asia/Shanghai): 17:30-18:30 there is 09:30-10:30 UTC.
    backwards = client.post(
        url, {**chosen, "apply": "1", "since": "2026-11-30T18:30", "until": "2026-11-30T17:30"}
    )
    assert backwards.status_code == 200  # the form again, with the reason
    assert backwards.context["form"].non_field_errors()
    assert not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()

    done = client.post(
        url,
        {**chosen, "apply": "1", "since": "2026-11-30T17:30", "until": "2026-11-30T18:30"},
        follow=True,
    )
    assert [m.level_tag for m in done.context["messages"]] == ["success"]
    pending = WebhookDelivery.objects.get(status=DeliveryStatus.PENDING)
    assert pending.message == WebhookMessage.objects.get(created_at=day + timedelta(hours=1))
