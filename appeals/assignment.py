"""Who gets a new appeal: the least-loaded active agent (pure; the service reads the loads).

Load = appeals assigned to the agent that are still being worked (appeals.states
BEING_WORKED_STATES). Ties go to the agent who was given an appeal
least recently (never first), then to the lowest id, so a burst of appeals is dealt round
the team evenly instead of piling on whoever sorts first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    agent_id: int
    open_appeals: int
    last_assigned_at: datetime | None
    away: bool = False


def pick_agent(candidates: Iterable[Candidate]) -> int | None:
    """The agent id to assign to, or None when nobody is available (all away, or no agents)."""
    available = [c for c in candidates if not c.away]
    if not available:
        return None

    never = datetime.min.replace(tzinfo=UTC)

    def key(c: Candidate):
        return (c.open_appeals, c.last_assigned_at or never, c.agent_id)

    return min(available, key=key).agent_id
