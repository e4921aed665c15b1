"""The Alibaba Cloud SMS adapter (official SDK) against a local fake of its HTTP API: the same
contract as the Twilio adapter (success, throttled, invalid number, template mismatch,
timeout, unreachable), and routing +86 numbers to it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from notifications import channels, sms
from notifications.sms import PermanentDeliveryError, TransientDeliveryError, UnknownOutcomeError
from notifications.sms_alibaba import AlibabaSmsBackend

# The template code per event comes from settings; its parameters are the ones credit
# declared with the event (credit.closed: sms_params=("closed_on",)).
CODES = {"credit.closed": "SMS_4711", "credit.frozen": "SMS_4712"}
CONTEXT = {
    "closed_on": "2026-11-30",
    "appeal_by": "2027-01-29",  # in the context, not a declared SMS parameter: not sent
    "reasons": [{"zh-hans": "近期在多家平台申请借款", "en": "Many applications"}],
}


class FakeAlibaba(BaseHTTPRequestHandler):
    script: list[tuple[int, dict, float]] = []  # (status, body, delay)
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        FakeAlibaba.received.append(
            {
                "action": self.headers.get("x-acs-action"),
                "version": self.headers.get("x-acs-version"),
                "signed": self.headers.get("Authorization", "").startswith("ACS3-HMAC-SHA256"),
                "query": query,
            }
        )
        status, body, delay = FakeAlibaba.script.pop(0)
        if delay:
            time.sleep(delay)  # a provider that hangs; the client must give up first
        payload = json.dumps({"RequestId": "req-1", **body}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def alibaba(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAlibaba)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeAlibaba.script, FakeAlibaba.received = [], []
    settings.ALIBABA_SMS_ENDPOINT = f"127.0.0.1:{server.server_port}"
    settings.ALIBABA_SMS_PROTOCOL = "HTTP"
    settings.ALIBABA_SMS_ACCESS_KEY_ID = "LTAI-test"
    settings.ALIBABA_SMS_ACCESS_KEY_SECRET = "secret"
    settings.ALIBABA_SMS_SIGN_NAME = "信用申诉"
    settings.ALIBABA_SMS_TEMPLATE_CODES = CODES
    settings.NOTIFICATIONS_SMS_TIMEOUT_SECONDS = 0.3
    yield FakeAlibaba
    server.shutdown()
    server.server_close()


def _send(event="credit.closed", context=CONTEXT):
    return AlibabaSmsBackend().send(
        to="+8613800001002", body="您好", reference="notification-7", event=event, context=context
    )


def test_success_returns_the_biz_id_and_sends_the_approved_template(alibaba):
    alibaba.script.append((200, {"Code": "OK", "Message": "OK", "BizId": "9001^0"}, 0))
    assert _send() == "9001^0"
    [request] = alibaba.received
    assert (request["action"], request["version"], request["signed"]) == (
        "SendSms",
        "2017-05-25",
        True,
    )
    query = request["query"]
    assert query["PhoneNumbers"] == "13800001002"
    assert query["SignName"] == "信用申诉"
    assert query["TemplateCode"] == "SMS_4711"
    # Only the parameters the event declared, whatever else its context holds.
    assert json.loads(query["TemplateParam"]) == {"closed_on": "2026-11-30"}
    assert query["OutId"] == "notification-7"


def test_a_template_without_parameters_is_sent_with_none(alibaba):
    alibaba.script.append((200, {"Code": "OK", "Message": "OK", "BizId": "9003^0"}, 0))
    assert _send(event="credit.frozen", context={"appeal_by": "2027-01-29"}) == "9003^0"
    [request] = alibaba.received
    assert request["query"]["TemplateCode"] == "SMS_4712"
    assert "TemplateParam" not in request["query"]


def test_throttling_is_transient_with_a_wait(alibaba):
    alibaba.script.append((200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "流控"}, 0))
    with pytest.raises(TransientDeliveryError) as caught:
        _send()
    assert caught.value.retry_after == 60.0


def test_invalid_number_is_permanent(alibaba):
    alibaba.script.append((200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}, 0))
    with pytest.raises(PermanentDeliveryError, match="MOBILE_NUMBER_ILLEGAL"):
        _send()


def test_template_mismatch_at_the_provider_is_permanent(alibaba):
    body = {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"}
    alibaba.script.append((200, body, 0))
    with pytest.raises(PermanentDeliveryError, match="TEMPLATE_MISSING_PARAMETERS"):
        _send()


def test_template_mismatch_here_sends_nothing(alibaba):
    with pytest.raises(PermanentDeliveryError, match="lacks closed_on for SMS_4711"):
        _send(context={"appeal_by": "2027-01-29"})
    with pytest.raises(PermanentDeliveryError, match="No approved.*ALIBABA_SMS_TEMPLATE_CODES"):
        _send(event="credit.reinstated", context={"credit_limit": "20000.00"})
    with pytest.raises(PermanentDeliveryError, match="Unknown notification event"):
        _send(event="credit.typo")
    assert alibaba.received == []


def test_bad_credentials_are_permanent_and_outage_transient(alibaba):
    alibaba.script.append((400, {"Code": "InvalidAccessKeyId.NotFound", "Message": "x"}, 0))
    alibaba.script.append((503, {"Code": "ServiceUnavailable", "Message": "busy"}, 0))
    with pytest.raises(PermanentDeliveryError, match="InvalidAccessKeyId"):
        _send()
    with pytest.raises(TransientDeliveryError, match="ServiceUnavailable"):
        _send()


def test_a_timeout_after_the_request_is_an_unknown_outcome_not_a_retry(alibaba):
    alibaba.script.append((200, {"Code": "OK", "BizId": "late"}, 1.0))
    with pytest.raises(UnknownOutcomeError, match="may have been sent"):
        _send()


def test_unreachable_provider_is_transient(alibaba, settings):
    settings.ALIBABA_SMS_ENDPOINT = "127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        _send()


def test_mainland_numbers_route_to_alibaba_and_others_to_the_default(alibaba, settings):
    settings.NOTIFICATIONS_SMS_ROUTES = {"+86": "notifications.sms_alibaba.AlibabaSmsBackend"}
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.LocMemSmsBackend"
    sms.outbox.clear()
    alibaba.script.append((200, {"Code": "OK", "BizId": "9002^0"}, 0))

    china = channels.send_sms(
        to="+8613800001002", text="您好", reference="n-1", event="credit.closed", context=CONTEXT
    )
    abroad = channels.send_sms(
        to="+447700900123", text="Hello", reference="n-2", event="credit.closed", context=CONTEXT
    )

    assert china == "9002^0"
    assert len(alibaba.received) == 1
    assert [(m.to, m.body) for m in sms.outbox] == [("+447700900123", "Hello")]
    assert abroad.startswith("locmem-")
