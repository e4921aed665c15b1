import shutil

import pytest
from django.conf import settings
from django.utils import translation

from notifications import sms


@pytest.fixture(autouse=True)
def _appeals_environment(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.LocMemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def _english_errors():
    # Service errors are worded in the active language; tests match the English words
    # (pages and notifications pick their own language per request and per recipient).
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def credit_notices(monkeypatch):
    """Credit's own notices recorded at its boundary (its context keys are the credit
    helper's work in progress on main); appeal notices go through the real notify()."""
    sent = []

    def record(*, recipient, event, context, obj=None):
        sent.append({"recipient": recipient, "event": event, "context": context})

    monkeypatch.setattr("credit.notices.notify", record)
    return sent


@pytest.fixture
def private_root():
    return settings.PRIVATE_MEDIA_ROOT
