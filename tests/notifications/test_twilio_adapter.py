"""The Twilio adapter against a local fake of Twilio's Messages endpoint."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from notifications.sms import (
    PermanentDeliveryError,
    TransientDeliveryError,
    TwilioSmsBackend,
    UnknownOutcomeError,
)

SID, TOKEN = "AC" + "0" * 32, "secret-token"


class FakeTwilio(BaseHTTPRequestHandler):
    script: list[tuple[int, dict, dict, float]] = []  # (status, body, headers, delay)
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        auth = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
        FakeTwilio.received.append(
            {
                "path": self.path,
                "form": form,
                "auth": auth,
            }
        )
        status, body, headers, delay = FakeTwilio.script.pop(0)
        if delay:
            time.sleep(delay)  # a provider that hangs; the client must give up first
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTwilio.script, FakeTwilio.received = [], []
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_port}"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.NOTIFICATIONS_SMS_TIMEOUT_SECONDS = 0.3
    yield FakeTwilio
    server.shutdown()
    server.server_close()


def _send():
    return TwilioSmsBackend().send(to="+8613800001002", body="您好", reference="notification-7")


def test_success_returns_the_message_sid(twilio):
    twilio.script.append((201, {"sid": "SM123", "status": "queued"}, {}, 0))
    assert _send() == "SM123"
    request = twilio.received[0]
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["form"] == {"To": "+8613800001002", "Body": "您好", "From": "+15005550006"}
    assert request["auth"] == f"{SID}:{TOKEN}"


def test_invalid_number_is_permanent(twilio):
    body = {"code": 21211, "message": "The 'To' number is not a valid phone number."}
    twilio.script.append((400, body, {}, 0))
    with pytest.raises(PermanentDeliveryError, match="21211"):
        _send()


def test_provider_outage_is_transient(twilio):
    twilio.script.append((503, {"message": "Service Unavailable"}, {}, 0))
    with pytest.raises(TransientDeliveryError, match="503"):
        _send()


def test_throttling_is_transient_and_keeps_retry_after(twilio):
    twilio.script.append(
        (429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "120"}, 0)
    )
    with pytest.raises(TransientDeliveryError) as caught:
        _send()
    assert caught.value.retry_after == 120.0


def test_a_timeout_after_the_request_is_an_unknown_outcome_not_a_retry(twilio):
    """Twilio may have sent it: retrying could text the borrower twice."""
    twilio.script.append((201, {"sid": "SMlate"}, {}, 1.0))
    with pytest.raises(UnknownOutcomeError, match="may have been sent"):
        _send()


def test_unreachable_provider_is_transient(settings, twilio):
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        _send()


def test_missing_credentials_are_a_permanent_error(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(PermanentDeliveryError, match="not configured"):
        TwilioSmsBackend()


@pytest.mark.django_db
@pytest.mark.usefixtures("daytime")
def test_through_delivery_429_then_success(twilio, settings, borrower, time_machine):
    """The whole path: notify -> deliver -> throttled -> retried later -> sent once."""
    from datetime import timedelta

    from notifications.models import Notification, Status
    from notifications.services import notification_deliver, notify
    from tests.notifications.factories import sample_context

    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.TwilioSmsBackend"
    event = "credit.closed"
    notify(recipient=borrower, event=event, context=sample_context(event), obj=borrower)
    row = Notification.objects.get(channel="sms")
    twilio.script.extend(
        [
            (429, {"code": 20429, "message": "Too Many Requests"}, {}, 0),
            (201, {"sid": "SMok"}, {}, 0),
        ]
    )
    assert notification_deliver(notification_id=row.pk).outcome == "retry"
    time_machine.shift(timedelta(hours=1))
    assert notification_deliver(notification_id=row.pk).outcome == "sent"
    assert notification_deliver(notification_id=row.pk).outcome == "skipped"
    row.refresh_from_db()
    assert row.status == Status.SENT and row.provider_message_id == "SMok"
    assert len(twilio.received) == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("daytime")
def test_through_delivery_a_timeout_fails_the_row_for_a_person_to_check(twilio, settings, borrower):
    from notifications.models import AttemptOutcome, Notification, Status
    from notifications.services import notification_deliver, notify
    from tests.notifications.factories import sample_context

    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.TwilioSmsBackend"
    event = "credit.closed"
    notify(recipient=borrower, event=event, context=sample_context(event), obj=borrower)
    row = Notification.objects.get(channel="sms")
    twilio.script.append((201, {"sid": "SMlate"}, {}, 1.0))
    assert notification_deliver(notification_id=row.pk).outcome == "failed"
    row.refresh_from_db()
    assert row.status == Status.FAILED and "may have been sent" in row.last_error
    assert row.delivery_attempts.get().outcome == AttemptOutcome.UNKNOWN
