import pytest


@pytest.fixture
def sent_notices(monkeypatch):
    """Notices the credit app sends, recorded at the boundary (notifications' notify)."""
    sent = []

    def fake_notify(*, recipient, event, context, obj=None):
        sent.append({"recipient": recipient, "event": event, "context": context, "obj": obj})

    monkeypatch.setattr("credit.notices.notify", fake_notify)
    return sent
