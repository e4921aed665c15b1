"""Periodic jobs run by `celery beat`. Each app adds its entries here."""

BEAT_SCHEDULE: dict[str, dict] = {}
