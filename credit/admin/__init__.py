"""Staff views of credit lines, events, decisions, reason codes and rule versions.

This package only registers screens; nothing here writes a row itself: re-evaluation,
activation, copying and saving go through `credit.services`. Importing it registers them.
"""

from . import (
    campaigns,
    corrections,
    events,
    lines,
    monitoring,
    reason_codes,
    rule_versions,
    shadow,
    staging,
)

__all__ = [
    "campaigns",
    "corrections",
    "events",
    "lines",
    "monitoring",
    "reason_codes",
    "rule_versions",
    "shadow",
    "staging",
]
