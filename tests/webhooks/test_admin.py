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
