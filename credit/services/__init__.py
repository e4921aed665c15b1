"""Every write to credit lines, decisions and rule versions goes through these functions.

One module per family of acts; callers use the package: `credit_services.credit_line_decide(...)`.
"""

from ._writes import NOTICES_DEFERRED, NOTICES_INLINE
from .campaigns import (
    campaign_cancel,
    campaign_clean,
    campaign_lift,
    campaign_resume,
    campaign_run_chunk,
    campaign_run_for,
    campaign_save_draft,
    campaign_segment,
    campaign_start,
    campaigns_lift_ended,
    campaigns_resume_stalled,
)
from .closure import CloseDueSummary, credit_line_postpone_closure, credit_lines_close_due
from .corrections import (
    correction_clean,
    correction_decisions,
    correction_resume,
    correction_run_chunk,
    correction_run_for,
    correction_save_draft,
    correction_start,
    corrections_resume_stalled,
)
from .decisions import (
    MANUAL_OUTCOMES,
    NOTICE_SWEEP_WINDOW,
    credit_line_decide,
    decision_notices_send,
    decision_notices_sweep,
)
from .lines import credit_line_upsert
from .reevaluation import (
    DEFAULT_DEBOUNCE_SECONDS,
    PENDING_KEY,
    ReevaluationSummary,
    credit_line_reevaluate,
    credit_lines_reevaluate,
    credit_lines_reevaluation_queue,
    reevaluation_release,
    reevaluation_request,
)
from .rule_versions import (
    policy_activate,
    policy_check,
    policy_copy_to_draft,
    policy_save_draft,
    reason_code_save,
    scorecard_activate,
    scorecard_check,
    scorecard_copy_to_draft,
    scorecard_save_draft,
)

__all__ = [
    "DEFAULT_DEBOUNCE_SECONDS",
    "MANUAL_OUTCOMES",
    "NOTICES_DEFERRED",
    "NOTICES_INLINE",
    "NOTICE_SWEEP_WINDOW",
    "PENDING_KEY",
    "CloseDueSummary",
    "ReevaluationSummary",
    "campaign_cancel",
    "campaign_clean",
    "campaign_lift",
    "campaign_resume",
    "campaign_run_chunk",
    "campaign_run_for",
    "campaign_save_draft",
    "campaign_segment",
    "campaign_start",
    "campaigns_lift_ended",
    "campaigns_resume_stalled",
    "correction_clean",
    "correction_decisions",
    "correction_resume",
    "correction_run_chunk",
    "correction_run_for",
    "correction_save_draft",
    "correction_start",
    "corrections_resume_stalled",
    "credit_line_decide",
    "credit_line_postpone_closure",
    "credit_line_reevaluate",
    "credit_line_upsert",
    "credit_lines_close_due",
    "credit_lines_reevaluate",
    "credit_lines_reevaluation_queue",
    "decision_notices_send",
    "decision_notices_sweep",
    "policy_activate",
    "policy_check",
    "policy_copy_to_draft",
    "policy_save_draft",
    "reason_code_save",
    "reevaluation_release",
    "reevaluation_request",
    "scorecard_activate",
    "scorecard_check",
    "scorecard_copy_to_draft",
    "scorecard_save_draft",
]
