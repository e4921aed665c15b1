"""Appeals' data, one module per concern; every model is re-exported here (app_label appeals)."""

from ..states import (
    BEING_WORKED_STATES,
    EVIDENCE_STATES,
    FAVOURABLE_STATES,
    OPEN_STATES,
    RESOLVED_STATES,
)
from .appeal import (
    Appeal,
    AppealGround,
    AppealStatus,
    appeal_id_from_reference,
    appeal_reference,
)
from .desk import (
    AgentAvailability,
    AppealAssignment,
    AppealExtension,
    CalendarDay,
    CalendarDayKind,
    CannedResponse,
    MacroAction,
    SlaBreach,
    SlaClockName,
)
from .reports import AppealReportPage
from .support import SupportMessage, SupportRequest, SupportRequestStatus
from .thread import AppealTransition, Evidence, Message, MessageKind, Survey

# The closure hold: a submitted appeal being worked holds its line's closure.
HOLDING_STATES = BEING_WORKED_STATES

__all__ = [
    "BEING_WORKED_STATES",
    "EVIDENCE_STATES",
    "FAVOURABLE_STATES",
    "HOLDING_STATES",
    "OPEN_STATES",
    "RESOLVED_STATES",
    "AgentAvailability",
    "Appeal",
    "AppealAssignment",
    "AppealReportPage",
    "AppealExtension",
    "AppealGround",
    "AppealStatus",
    "AppealTransition",
    "CalendarDay",
    "CalendarDayKind",
    "CannedResponse",
    "MacroAction",
    "Evidence",
    "Message",
    "MessageKind",
    "SlaBreach",
    "SlaClockName",
    "SupportMessage",
    "SupportRequest",
    "SupportRequestStatus",
    "Survey",
    "appeal_id_from_reference",
    "appeal_reference",
]
