"""Optional Sentry error reporting: personal data never leaves. Events go through the real
SDK to a transport that keeps them in memory (no network), and the scrubber is also checked
on a hand-made event carrying a request body, cookies, headers and a user."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from config.error_reporting import error_reporting_init, scrub_event

ROOT = Path(__file__).resolve().parents[1]
PHONE, EMAIL, IDENTITY = "+8613800001002", "wang.fang@example.com", "11010119900307777X"
LOCAL_PHONE, ADDRESS = "138-0000-1002", "203.0.113.7"


class KeptInMemory(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def sent_text(self) -> str:
        return "\n".join(
            json.dumps(item.payload.json, ensure_ascii=False)
            for envelope in self.envelopes
            for item in envelope.items
            if item.payload.json is not None
        )


@pytest.fixture
def reporting():
    transport = KeptInMemory()
    error_reporting_init(
        dsn="https://public@sentry.invalid/1", environment="test", transport=transport
    )
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_an_error_with_a_phone_and_an_email_is_scrubbed_before_it_is_sent(reporting):
    sentry_sdk.add_breadcrumb(message=f"looked up borrower by {LOCAL_PHONE}")
    sentry_sdk.set_user({"id": "42", "email": EMAIL, "ip_address": ADDRESS})
    sentry_sdk.set_extra("borrower", {"phone": PHONE, "email": EMAIL})
    try:
        raise ValueError(f"SMS to {PHONE} failed; email {EMAIL}; id {IDENTITY} on 2026-11-30")
    except ValueError:
        sentry_sdk.capture_exception()
    logging.getLogger("notifications").error("could not reach %s", PHONE)
    sentry_sdk.flush()

    sent = reporting.sent_text()
    assert sent, "nothing reached the transport"
    # (The SDK sends a few source lines around the error; no personal value is written here.)
    for personal in (PHONE, "13800001002", LOCAL_PHONE, EMAIL, IDENTITY, ADDRESS):
        assert personal not in sent
    # What an engineer needs stays: the error type, the shape of the message, the date.
    assert "ValueError" in sent
    assert "SMS to [number] failed; email [email]; id [id] on 2026-11-30" in sent
    assert "could not reach" in sent
    options = sentry_sdk.get_client().options
    assert not options["send_default_pii"]
    collection = options["data_collection"]
    assert (collection["user_info"], collection["http_bodies"]) == (False, [])
    assert collection["stack_frame_variables"] is False


def test_the_scrubber_drops_the_request_body_cookies_and_user():
    event = {
        "exception": {"values": [{"type": "ValidationError", "value": f"phone {PHONE} taken"}]},
        "request": {
            "url": "https://recourse.example/api/v1/borrowers/",
            "method": "POST",
            "data": {"customer_id": "C-1", "phone": PHONE, "email": EMAIL},
            "cookies": {"sessionid": "abc"},
            "query_string": f"email={EMAIL}",
            "headers": {
                "Content-Type": "application/json",
                "Authorization": "Bearer secret-token",
                "Cookie": "sessionid=abc",
                "X-Forwarded-For": "203.0.113.7",
            },
        },
        "user": {"email": EMAIL, "ip_address": "203.0.113.7"},
        "breadcrumbs": {"values": [{"message": f"SMS to {PHONE}"}]},
    }

    scrubbed = scrub_event(event)

    text = json.dumps(scrubbed, ensure_ascii=False)
    for personal in (PHONE, EMAIL, "203.0.113.7", "secret-token", "sessionid"):
        assert personal not in text
    assert "data" not in scrubbed["request"] and "user" not in scrubbed
    assert scrubbed["request"]["headers"] == {"Content-Type": "application/json"}
    assert scrubbed["request"]["url"] == "https://recourse.example/api/v1/borrowers/"
    assert scrubbed["exception"]["values"][0]["value"] == "phone [number] taken"


def test_production_starts_sentry_only_when_a_dsn_is_set():
    probe = (
        "import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client(); "
        "print(c.is_active(), bool(c.options.get('send_default_pii')), "
        "sorted(i for i in c.integrations if i in ('django', 'celery')))"
    )
    base = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    base |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "k" * 20 + "x9Qz!7#vR2@pL5$wT8^mN1&bY4*cJ6(sF3)",
        "ALLOWED_HOSTS": "recourse.example",
    }

    def run(env):
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run(base).startswith("False")
    with_dsn = run(base | {"SENTRY_DSN": "https://public@sentry.invalid/1"})
    assert with_dsn == "True False ['celery', 'django']"
