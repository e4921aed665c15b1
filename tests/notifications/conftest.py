import pytest

from notifications import sms


@pytest.fixture(autouse=True)
def _clean_sms_outbox(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.LocMemSmsBackend"
    settings.SITE_URL = "http://testserver"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def daytime(time_machine):
    """10:00 in Shanghai: outside SMS quiet hours."""
    time_machine.move_to("2026-11-28T10:00:00+08:00", tick=False)


@pytest.fixture
def sent_sms():
    return sms.outbox
