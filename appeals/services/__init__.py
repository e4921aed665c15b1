"""Every write to appeals, one module per family of acts; callers read `services.<name>`.

Each transition goes through `_transition.appeal_transition` (lock the row, check who may,
ask the state machine, transition, save, log an `AppealTransition`, then tell people; the
notification rows are written in the same transaction, their delivery queued on commit).
Internal notes are never passed to a notification.
"""

from ._transition import AppealPermissionDenied
from .assignment import (
    agent_set_away,
    appeal_assign,
    appeal_assign_new,
    appeal_mark_ready_for_decision,
    appeal_reassign,
    appeal_start_review,
)
from .clocks import appeal_extend, appeals_escalate_breaches, desk_due_dates
from .decisions import appeal_approve, appeal_deny, appeal_partially_approve
from .desk_acts import StaleAppeal, appeal_act_as_seen, state_token
from .drafting import appeal_create, appeal_update_draft, decision_appealable_until
from .evidence import evidence_add
from .reference_data import (
    calendar_day_set,
    canned_response_check,
    canned_response_save,
    canned_response_upsert,
)
from .resolution import appeals_resolve_moot
from .second_review import appeal_decide_second_review, appeal_request_second_review
from .submission import appeal_auto_review, appeal_discard, appeal_submit, appeal_withdraw
from .support import (
    support_borrower_message,
    support_request_close,
    support_request_open,
    support_staff_reply,
)
from .survey import survey_submit
from .thread import appeal_borrower_message, appeal_request_info, appeal_staff_message
from .waiting import appeal_reply_deadline_passed, appeals_remind_and_expire_replies

__all__ = [
    "AppealPermissionDenied",
    "StaleAppeal",
    "appeal_act_as_seen",
    "state_token",
    "agent_set_away",
    "appeal_approve",
    "appeal_assign",
    "appeal_assign_new",
    "appeal_auto_review",
    "appeal_borrower_message",
    "appeal_create",
    "appeal_decide_second_review",
    "appeal_deny",
    "appeal_extend",
    "appeal_mark_ready_for_decision",
    "appeal_partially_approve",
    "appeal_reassign",
    "appeal_request_info",
    "appeal_request_second_review",
    "appeal_staff_message",
    "appeal_start_review",
    "appeal_submit",
    "appeal_update_draft",
    "appeal_discard",
    "appeal_withdraw",
    "appeals_escalate_breaches",
    "appeals_resolve_moot",
    "appeals_remind_and_expire_replies",
    "appeal_reply_deadline_passed",
    "calendar_day_set",
    "canned_response_check",
    "canned_response_save",
    "canned_response_upsert",
    "decision_appealable_until",
    "desk_due_dates",
    "evidence_add",
    "support_borrower_message",
    "support_request_close",
    "support_request_open",
    "support_staff_reply",
    "survey_submit",
]
