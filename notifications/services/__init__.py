"""Every write of the notifications app, one module per concern, re-exported here.

The one entry point for other apps is `notify()` (outbox), or `notify_many()` for a batch.
Delivery sends each email/SMS row at most once, in batches (delivery); recipients keep their
own settings and read marks (preferences); staff resend or cancel single rows (resend).
"""

from ..registry import RegistryError
from ..rendering import NotificationContextError
from .delivery import (
    BatchResult,
    DeliveryResult,
    RelayResult,
    notification_deliver,
    notifications_deliver_due,
    outbox_relay,
)
from .outbox import Notice, notify, notify_many
from .preferences import (
    inbox_mark_all_read,
    inbox_supersede,
    notification_mark_read,
    preferences_update,
)
from .resend import notification_cancel, notification_resend

__all__ = [
    "BatchResult",
    "DeliveryResult",
    "Notice",
    "NotificationContextError",
    "RegistryError",
    "RelayResult",
    "inbox_mark_all_read",
    "inbox_supersede",
    "notification_cancel",
    "notification_deliver",
    "notification_mark_read",
    "notification_resend",
    "notifications_deliver_due",
    "notify",
    "notify_many",
    "outbox_relay",
    "preferences_update",
]
