"""A real Celery worker on Redis delivers what decisions wrote to a real local receiver,
in order per line, retrying the one the receiver refused at first."""

import time

import pytest

from credit import services as credit_services
from tests.credit.factories import make_line
from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.tasks import deliver_due

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,  # the worker process must see the test database
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_a_real_worker_delivers_decisions_in_order_per_line(celery_worker_process):
    receiver = Receiver()
    receiver.start()
    try:
        endpoint = services.endpoint_create(url=receiver.url)
        receiver.secrets = [endpoint.secret]
        receiver.answers.append((503, {}))  # the first request fails once
        first, second = make_line(), make_line()
        for outcome in ("freeze", "reinstate"):
            for line in (first, second):
                credit_services.credit_line_decide(  # each commits and queues a delivery run
                    line=line, outcome=outcome, trigger="staff", reason_codes=["policy_adjustment"]
                )
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if not WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists():
                break
            deliver_due.delay()  # what beat does every 15 s
            time.sleep(1)  # integration test: waiting for another process
        else:
            pytest.fail(f"not all delivered: {list(WebhookDelivery.objects.values())}")
    finally:
        receiver.stop()

    assert receiver.received[0].status == 503
    got = receiver.accepted_sequences()
    assert sorted(got) == sorted(set(got)) and len(got) == 4
    for line in (first, second):
        assert [s for line_id, s in got if line_id == line.pk] == [1, 2]
    assert all(r.verified_with == [endpoint.secret] for r in receiver.received)
