"""Every write of the notifications app, one module per concern, re-exported here.

The one entry point for other apps is `notify()` (outbox). Delivery sends each email/SMS row
at most once (delivery); recipients keep their own settings and read marks (preferences);
staff resend or cancel single rows (resend).
"""

from ..registry import RegistryError
from ..rendering import NotificationContextError
from .delivery import DeliveryResult, RelayResult, notification_deliver, outbox_relay
from .outbox import notify
from .preferences import (
    inbox_mark_all_read,
    inbox_supersede,
    notification_mark_read,
    preferences_update,
)
from .resend import notification_cancel, notification_resend

__all__ = [
    "DeliveryResult",
    "NotificationContextError",
    "RegistryError",
    "RelayResult",
    "inbox_mark_all_read",
    "inbox_supersede",
    "notification_cancel",
    "notification_deliver",
    "notification_mark_read",
    "notification_resend",
    "notify",
    "outbox_relay",
    "preferences_update",
]
