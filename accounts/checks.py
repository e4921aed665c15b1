"""System checks: the retention period is never shorter than the law's minimum."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

MINIMUM_RETENTION_MONTHS = 25  # Reg B 12 CFR 1002.12(b): 25 months after notice


@register(Tags.compatibility)
def check_retention_period(app_configs=None, **kwargs) -> list[Error]:
    months = settings.PERSONAL_DATA_RETENTION_MONTHS
    if isinstance(months, int) and months >= MINIMUM_RETENTION_MONTHS:
        return []
    return [
        Error(
            f"PERSONAL_DATA_RETENTION_MONTHS is {months!r}; decisions, notices, appeals and "
            f"their inputs must be kept at least {MINIMUM_RETENTION_MONTHS} months.",
            hint=f"Set PERSONAL_DATA_RETENTION_MONTHS to {MINIMUM_RETENTION_MONTHS} or more.",
            id="accounts.E001",
        )
    ]
