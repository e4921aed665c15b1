"""Credit lines, the events upstream systems send about them, and the decisions taken on them.

The scorecard and decision policy are versioned rows whose rules are JSON documents read by
the pure engine in `credit.engine`; a version can be edited while it is a draft and never
again once activated. Decisions and their ranked reasons are append-only.
"""

from .campaigns import (
    CampaignAction,
    CampaignLine,
    CampaignLineState,
    CampaignState,
    PolicyCampaign,
)
from .corrections import (
    CorrectedDecision,
    CorrectionLineState,
    CorrectionState,
    SystemCorrection,
)
from .decisions import (
    ADVERSE_OUTCOMES,
    CreditDecision,
    DecisionOutcome,
    DecisionReason,
    DecisionTrigger,
    ImmutableModel,
)
from .events import CreditEvent, CreditEventKind
from .features import LineFeatureState, LineLook
from .lines import ClosureDeferral, CreditLine, CreditLineStatus
from .monitoring import AlertKind, EvaluationTally, MonitoringAlert, MonitoringDay
from .rechecks import LineRecheck
from .rules import (
    DEFAULT_CLOSURE_BUFFER_DAYS,
    DecisionPolicy,
    ReasonCategory,
    ReasonCode,
    ReasonWording,
    Scorecard,
    VersionedRules,
    VersionStatus,
)
from .shadow import ShadowLine, ShadowRun, ShadowState
from .staging import (
    BatchWaitingLine,
    DecisionReview,
    DecisionReviewState,
    EvaluationBatch,
    EvaluationBatchChunk,
    EvaluationBatchFailure,
    EvaluationBatchKind,
    EvaluationBatchState,
    HeldDecision,
    HeldDecisionState,
)

__all__ = [
    "LineRecheck",
    "LineFeatureState",
    "LineLook",
    "AlertKind",
    "EvaluationTally",
    "MonitoringAlert",
    "MonitoringDay",
    "ShadowLine",
    "ShadowRun",
    "ShadowState",
    "CampaignAction",
    "CampaignLine",
    "CampaignLineState",
    "CampaignState",
    "PolicyCampaign",
    "CorrectedDecision",
    "CorrectionLineState",
    "CorrectionState",
    "SystemCorrection",
    "DEFAULT_CLOSURE_BUFFER_DAYS",
    "ADVERSE_OUTCOMES",
    "ClosureDeferral",
    "CreditDecision",
    "CreditEvent",
    "CreditEventKind",
    "CreditLine",
    "CreditLineStatus",
    "DecisionReview",
    "DecisionReviewState",
    "EvaluationBatch",
    "EvaluationBatchChunk",
    "BatchWaitingLine",
    "EvaluationBatchFailure",
    "EvaluationBatchKind",
    "EvaluationBatchState",
    "HeldDecision",
    "HeldDecisionState",
    "DecisionOutcome",
    "DecisionPolicy",
    "DecisionReason",
    "DecisionTrigger",
    "ImmutableModel",
    "ReasonCategory",
    "ReasonCode",
    "ReasonWording",
    "Scorecard",
    "VersionStatus",
    "VersionedRules",
]
