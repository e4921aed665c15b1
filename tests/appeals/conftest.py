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


@pytest.fixture
def private_root():
    return settings.PRIVATE_MEDIA_ROOT
