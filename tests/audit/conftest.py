import shutil

import pytest
import time_machine
from django.utils import translation

from notifications import sms
from tests.credit.conftest import NOW


@pytest.fixture(autouse=True)
def _environment(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.LocMemSmsBackend"
    sms.outbox.clear()
    with translation.override("en"):
        yield
    sms.outbox.clear()
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
