from collections.abc import Sequence
from datetime import date

import pytest
import time_machine

from notifications.models import Notification
from tests.credit.factories import at

NOW = at(date(2025, 12, 5), 12)


@pytest.fixture
def clock():
    """Time stands still at NOW."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


class SentNotices(Sequence):
    """The notices the credit app sent, read from the real outbox (nothing is patched): one
    entry per message, however many channels carry it, oldest first."""

    def _entries(self) -> list[dict]:
        rows = (
            Notification.objects.filter(event__startswith="credit.")
            .select_related("recipient", "object_type")
            .order_by("id")
        )
        entries: dict[tuple, dict] = {}
        for row in rows:
            key = (row.event, row.recipient_id, row.object_type_id, row.object_id)
            if key not in entries:
                entries[key] = {
                    "recipient": row.recipient,
                    "event": row.event,
                    "context": row.context,
                    "obj": (
                        row.object_type.get_object_for_this_type(pk=row.object_id)
                        if row.object_type_id
                        else None
                    ),
                }
        return list(entries.values())

    def __getitem__(self, index):
        return self._entries()[index]

    def __len__(self) -> int:
        return len(self._entries())

    def __eq__(self, other) -> bool:
        return self._entries() == list(other)

    def __repr__(self) -> str:
        return repr(self._entries())


@pytest.fixture
def sent_notices(settings):
    """Notices the credit app sends, as the borrower gets them (the real notify() and outbox;
    SMS go to the in-memory backend, the edge)."""
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.sms.LocMemSmsBackend"
    return SentNotices()
