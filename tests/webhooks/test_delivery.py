"""Delivery to a real local receiver that verifies every signature with the Standard Webhooks
library: order per line, retries, Retry-After, no retry on a final 4xx, disabling, replay,
rotation. Time is moved with time-machine; the receiver is a real HTTP server."""

from datetime import timedelta

from django.db import transaction

from notifications.models import Notification
from tests.factories import StaffFactory
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookMessage

CHANGED = "credit_line.changed"


def emit(line_id: int, n: int = 0):
    return services.emit(event_type=CHANGED, line_id=line_id, data={"n": n})


def run():
    return services.deliveries_run_due()


def test_a_message_arrives_signed_and_verifiable(clock, receiver, endpoint):
    message = emit(7, n=1)

    summary = run()

    assert summary.delivered == 1
    [got] = receiver.received
    assert got.msg_id == message.msg_id
    assert got.verified_with == [endpoint.secret]
    assert got.payload["type"] == CHANGED
    assert got.payload["data"] == {"n": 1, "credit_line_id": 7, "sequence": 1}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempt_log.get().status_code == 204


def test_a_forged_signature_is_refused_by_the_receiver(clock, receiver, endpoint):
    receiver.secrets = ["whsec_" + "A" * 43 + "="]  # not the endpoint's secret
    emit(7)

    run()

    assert receiver.received[0].verified_with == []
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED  # its 400 is final


def test_a_later_event_of_a_line_waits_while_an_earlier_one_is_retried(clock, receiver, endpoint):
    receiver.answers.extend([(503, {})])
    emit(1, 1)
    emit(1, 2)
    emit(2, 1)

    run()

    # Line 1's first event failed once; its second was not sent; line 2 went through.
    assert [(r.payload["data"]["credit_line_id"], r.status) for r in receiver.received] == [
        (1, 503),
        (2, 204),
    ]
    clock.shift(timedelta(minutes=1))
    run()
    assert receiver.accepted_sequences() == [(2, 1), (1, 1), (1, 2)]


def test_a_receiver_down_for_an_hour_gets_everything_once_in_order(clock, receiver, endpoint):
    port = receiver.port
    receiver.stop()
    for n in range(3):
        emit(1, n)
        emit(2, n)
    for _ in range(12):  # an hour, every five minutes
        run()
        clock.shift(timedelta(minutes=5))
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 6
    assert WebhookDelivery.objects.get(sequence=1, line_id=1).attempts > 1

    receiver.port = port
    receiver.start()
    clock.shift(timedelta(minutes=31))  # longer than the longest backoff
    run()

    got = receiver.accepted_sequences()
    assert len(got) == len(set(got)) == 6
    assert [s for line, s in got if line == 1] == [1, 2, 3]
    assert [s for line, s in got if line == 2] == [1, 2, 3]
    assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()


def test_bad_request_is_not_retried_and_the_line_goes_on(clock, receiver, endpoint):
    receiver.answers.extend([(400, {})])
    emit(1, 1)
    emit(1, 2)

    run()
    clock.shift(timedelta(hours=1))
    run()

    assert [r.status for r in receiver.received] == [400, 204]
    failed = WebhookDelivery.objects.get(status=DeliveryStatus.FAILED)
    assert (failed.sequence, failed.attempts, failed.last_status_code) == (1, 1, 400)
    # The line's next event was not held back by one the receiver refused for good.
    assert receiver.accepted_sequences() == [(1, 2)]


def test_gone_disables_the_endpoint_at_once_and_supervisors_are_told(clock, receiver, endpoint):
    supervisor = StaffFactory(role="supervisor")
    receiver.answers.extend([(410, {})])
    emit(1, 1)
    emit(1, 2)
    emit(2, 1)

    run()
    clock.shift(timedelta(hours=1))
    run()

    # One request, then nothing more: the receiver said the URL is gone.
    assert [r.status for r in receiver.received] == [410]
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "410" in endpoint.disabled_reason
    told = Notification.objects.filter(event="webhooks.endpoint_disabled")
    assert {n.recipient_id for n in told} == {supervisor.pk}
    # Nothing is lost: enabled again, the endpoint gets every event once, in order.
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3
    services.endpoint_enable(endpoint=endpoint)
    run()
    got = receiver.accepted_sequences()
    assert sorted(got) == [(1, 1), (1, 2), (2, 1)]
    assert [s for line, s in got if line == 1] == [1, 2]


def test_throttled_with_retry_after_waits_that_long(clock, receiver, endpoint):
    receiver.answers.extend([(429, {"Retry-After": "600"})])
    emit(1)
    run()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at >= delivery.first_attempt_at + timedelta(seconds=600)

    clock.shift(timedelta(seconds=590))
    run()
    assert len(receiver.received) == 1  # not before the receiver asked

    clock.shift(timedelta(seconds=20))
    run()
    assert [r.status for r in receiver.received] == [429, 204]


def test_a_timeout_answer_408_is_retried(clock, receiver, endpoint):
    receiver.answers.extend([(408, {})])
    emit(1)
    run()
    clock.shift(timedelta(minutes=1))
    run()
    assert [r.status for r in receiver.received] == [408, 204]


def test_an_endpoint_failing_for_a_day_is_disabled_and_supervisors_told(clock, receiver, endpoint):
    supervisor = StaffFactory(role="supervisor")
    agent = StaffFactory(role="agent")
    receiver.default = (500, {})
    emit(1)
    for _ in range(50):  # a day and a bit, every 30 minutes
        run()
        clock.shift(timedelta(minutes=30))
    endpoint.refresh_from_db()

    assert not endpoint.is_active
    assert "HTTP 500" in endpoint.disabled_reason
    told = Notification.objects.filter(event="webhooks.endpoint_disabled")
    assert {n.recipient_id for n in told} == {supervisor.pk}
    assert agent.pk not in {n.recipient_id for n in told}
    attempts = len(receiver.received)
    run()
    assert len(receiver.received) == attempts  # nothing sent to a disabled endpoint
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING  # nothing lost

    receiver.default = (204, {})
    services.endpoint_enable(endpoint=endpoint)
    run()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_retries_stop_after_three_days(clock, receiver, endpoint):
    receiver.default = (503, {})
    emit(1)
    for _ in range(80):
        run()
        endpoint.refresh_from_db()
        if not endpoint.is_active:
            services.endpoint_enable(endpoint=endpoint)  # keep it trying
        clock.shift(timedelta(hours=1))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "3 days" in delivery.last_error


def test_replay_sends_the_same_message_again(clock, receiver, endpoint):
    message = emit(1)
    run()
    delivery = WebhookDelivery.objects.get()

    assert services.deliveries_replay(endpoint=endpoint, deliveries=[delivery.pk]) == 1
    run()

    assert [r.msg_id for r in receiver.accepted()] == [message.msg_id, message.msg_id]
    assert delivery.attempt_log.count() == 2


def test_replay_of_a_time_range_includes_messages_from_before_the_endpoint(clock, receiver, db):
    early = emit(1, 1)  # no endpoint yet: kept in the outbox only
    clock.shift(timedelta(hours=2))
    emit(1, 2)
    endpoint = services.endpoint_create(url=receiver.url)
    receiver.secrets = [endpoint.secret]

    count = services.deliveries_replay(
        endpoint=endpoint, since=early.created_at, until=early.created_at + timedelta(hours=1)
    )
    run()

    assert count == 1
    assert [r.msg_id for r in receiver.accepted()] == [early.msg_id]


def test_rotation_signs_with_both_secrets_during_the_overlap(clock, receiver, endpoint):
    old = endpoint.secret
    endpoint = services.endpoint_rotate_secret(endpoint=endpoint)
    new = endpoint.secret
    assert new != old
    receiver.secrets = [old, new]

    emit(1, 1)
    run()
    assert receiver.received[-1].verified_with == [old, new]

    clock.shift(services.ROTATION_OVERLAP + timedelta(seconds=1))
    emit(1, 2)
    run()
    assert receiver.received[-1].verified_with == [new]


def test_a_rolled_back_act_sends_nothing(clock, receiver, endpoint):
    class Refused(Exception):
        pass

    try:
        with transaction.atomic():
            emit(1)
            raise Refused
    except Refused:
        pass
    run()

    assert not WebhookMessage.objects.exists()
    assert receiver.received == []


def test_an_endpoint_gets_only_the_types_it_subscribed_to(clock, receiver, db):
    endpoint = services.endpoint_create(url=receiver.url, event_types=["appeal.decided"])
    receiver.secrets = [endpoint.secret]
    emit(1)
    run()
    assert receiver.received == []
    assert WebhookEndpoint.objects.get().deliveries.count() == 0
