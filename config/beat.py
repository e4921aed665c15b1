"""Periodic jobs run by `celery beat`. Each app adds its entries here."""

BEAT_SCHEDULE: dict[str, dict] = {
    # Re-queue notification rows whose delivery task was lost or whose time has come.
    "notifications-relay": {"task": "notifications.relay_pending", "schedule": 60.0},
}
