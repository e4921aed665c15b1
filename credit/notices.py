"""The one place the credit app tells borrowers about decisions (notifications.notify).

Each adverse outcome and each reinstatement sends its event the same day, from inside the
deciding transaction: notify() writes outbox rows there and queues delivery on commit. The
context keys are the ones the notifications catalogue declares for each event.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from accounts.localtime import local_date
from notifications.registry import (
    ALL_CHANNELS,
    STAFF_CATEGORY,
    STAFF_CHANNELS,
    Audience,
    CategorySpec,
    EventSpec,
    register,
    register_category,
)
from notifications.services import Notice, inbox_supersede, notify, notify_many

from . import counterfactual_texts
from .appealability import appeal_deadline
from .models import (
    ADVERSE_OUTCOMES,
    CreditDecision,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
)
from .segment_notes import segment_note_texts

EVENT_BY_OUTCOME = {
    DecisionOutcome.SCHEDULE_CLOSURE: "credit.closure_scheduled",
    DecisionOutcome.CLOSE: "credit.closed",
    DecisionOutcome.REDUCE_LIMIT: "credit.limit_reduced",
    DecisionOutcome.FREEZE: "credit.frozen",
    DecisionOutcome.REINSTATE: "credit.reinstated",
}
SYSTEM_ERROR_CORRECTED = "credit.system_error_corrected"

REINSTATED_EXPLANATION = {
    "zh-hans": "此前调整额度的原因已不再适用，您的额度已恢复正常可用。",
    "en": (
        "The reasons for the earlier change no longer apply, so your credit line is active again."
    ),
}


def told_by_the_caller(decision: CreditDecision) -> bool:
    """A decision taken on an appeal that restores the line or only moves a closure's date is
    told by the appeal's own outcome message (approved, partially approved, denied with the
    new closure date), so the borrower gets one message per channel for one act. An adverse
    change a re-evaluation finds while an appeal is handled is still told here."""
    if decision.trigger != DecisionTrigger.APPEAL:
        return False
    return decision.outcome == DecisionOutcome.REINSTATE or (
        decision.outcome == DecisionOutcome.SCHEDULE_CLOSURE
        and decision.old_status == CreditLineStatus.CLOSING
    )


def event_for(decision: CreditDecision) -> str | None:
    """The event that tells the borrower of this decision; None when credit sends none."""
    if told_by_the_caller(decision):
        return None
    if (
        decision.outcome == DecisionOutcome.REINSTATE
        and decision.trigger == DecisionTrigger.CORRECTION
    ):
        return SYSTEM_ERROR_CORRECTED
    return EVENT_BY_OUTCOME.get(decision.outcome)


def _reasons(reasons) -> list[dict]:
    return [
        {"zh-hans": r.title_zh, "en": r.title_en} for r in sorted(reasons, key=lambda r: r.rank)
    ]


def decision_context(decision: CreditDecision, *, recipient, reasons) -> dict:
    """The context the event of this decision declares: dates as ISO dates in the borrower's
    time zone, amounts as strings, reasons as ranked {"zh-hans", "en"} titles."""
    decided_on = local_date(decision.created_at, recipient)
    appeal_by = local_date(appeal_deadline(decision.created_at), recipient).isoformat()
    outcome = decision.outcome
    # A reduction or pause given a notice period takes effect on its own date.
    scheduled = decision.effective_at is not None
    effective_on = local_date(decision.effective_at, recipient) if scheduled else decided_on
    if outcome == DecisionOutcome.SCHEDULE_CLOSURE:
        return _with_segment_note(
            decision,
            {
                "closing_effective_on": local_date(
                    decision.closing_effective_at, recipient
                ).isoformat(),
                "credit_limit": str(decision.new_limit),
                "reasons": _reasons(reasons),
                "appeal_by": appeal_by,
                # Stored with the decision when it was made; the notice only words them.
                "what_would_change": counterfactual_texts.bilingual(decision.counterfactuals),
            },
        )
    if outcome == DecisionOutcome.CLOSE:
        return {
            "closed_on": decided_on.isoformat(),
            "reasons": _reasons(reasons),
            "appeal_by": appeal_by,
            "what_would_change": counterfactual_texts.bilingual(decision.counterfactuals),
        }
    if outcome == DecisionOutcome.REDUCE_LIMIT:
        return _with_segment_note(
            decision,
            {
                "old_limit": str(decision.old_limit),
                "new_limit": str(decision.new_limit),
                "effective_on": effective_on.isoformat(),
                "scheduled": scheduled,
                "reasons": _reasons(reasons),
                "appeal_by": appeal_by,
                "what_would_change": counterfactual_texts.bilingual(decision.counterfactuals),
            },
        )
    if outcome == DecisionOutcome.FREEZE:
        return _with_segment_note(
            decision,
            {
                "paused_on": effective_on.isoformat(),
                "scheduled": scheduled,
                "reasons": _reasons(reasons),
                "appeal_by": appeal_by,
                "what_would_change": counterfactual_texts.bilingual(decision.counterfactuals),
            },
        )
    if event_for(decision) == SYSTEM_ERROR_CORRECTED:
        wrong = (
            CreditDecision.objects.filter(
                line_id=decision.line_id,
                outcome__in=ADVERSE_OUTCOMES,
                created_at__lte=decision.created_at,
            )
            .exclude(pk=decision.pk)
            .order_by("-created_at", "-id")
            .values_list("created_at", flat=True)
            .first()
        )
        return {
            "decided_on": local_date(wrong or decision.created_at, recipient).isoformat(),
            "credit_limit": str(decision.new_limit),
        }
    return {"credit_limit": str(decision.new_limit), "explanation": REINSTATED_EXPLANATION}


def _with_segment_note(decision: CreditDecision, context: dict) -> dict:
    """The sentence saying what the borrower's segment changed (a closure softened, a longer
    notice), only when it did."""
    note = segment_note_texts(decision)
    if note:
        context["segment_note"] = note
    return context


def send_decision_notice(decision: CreditDecision, *, recipient, reasons) -> None:
    send_decision_notices([(decision, recipient, reasons)])


def send_decision_notices(
    items: Sequence[tuple[CreditDecision, object, Sequence]], *, new_decisions: bool = False
) -> int:
    """The notices of many decisions, each (decision, recipient, its reasons), written at once
    (`notify_many`: the same rows as one `notify` each). Returns the rows written.
    `new_decisions`: the decisions were written in this transaction (nobody told of them yet)."""
    batch = []
    for decision, recipient, reasons in items:
        event = event_for(decision)
        if event is None:
            continue
        batch.append(
            Notice(
                recipient=recipient,
                event=event,
                context=decision_context(decision, recipient=recipient, reasons=reasons),
                obj=decision,
            )
        )
    return len(notify_many(batch, new_objects=new_decisions))


# The notices of an adverse decision, which a later restoration of the line replaces.
ADVERSE_EVENTS = tuple(
    EVENT_BY_OUTCOME[outcome]
    for outcome in (
        DecisionOutcome.SCHEDULE_CLOSURE,
        DecisionOutcome.CLOSE,
        DecisionOutcome.REDUCE_LIMIT,
        DecisionOutcome.FREEZE,
    )
)


def supersede_adverse_notices(restorations: Sequence[CreditDecision]) -> int:
    """A restoration (a correction, an upheld appeal, reasons that cleared) replaces what the
    line's earlier adverse notices said: in the inbox they are marked superseded, no longer
    unread or important. One UPDATE for the whole batch, in the caller's transaction."""
    if not restorations:
        return 0
    line_ids = {d.line_id for d in restorations}
    earliest = min(d.created_at for d in restorations)
    # The ids first (the decisions' line index), then the UPDATE by the outbox's object index:
    # as one statement with a subquery the planner scanned the outbox against the decisions,
    # seconds per chunk once the outbox held a few nights of notices.
    earlier = [
        str(pk)
        for pk in CreditDecision.objects.filter(
            line_id__in=line_ids,
            outcome__in=ADVERSE_OUTCOMES,
            created_at__lte=earliest,
        )
        .exclude(pk__in=[d.pk for d in restorations if d.pk])
        .values_list("pk", flat=True)
    ]
    if not earlier:
        return 0
    return inbox_supersede(
        object_type=ContentType.objects.get_for_model(CreditDecision),
        object_ids=earlier,
        events=ADVERSE_EVENTS,
    )


def send_batch_held(
    *, recipient, batch, name: str | dict, affected: int, held_because: dict
) -> None:
    """Tell a supervisor that a batch (a campaign) is held for review, and why. `name`: a
    campaign's as its author wrote it, or a batch's in each language (`EvaluationBatch.titles`)."""
    notify(
        recipient=recipient,
        event="staff.batch_held",
        context={"batch": name, "affected": str(affected), "held_because": held_because},
        obj=batch,
    )


def send_batch_failed(
    *, recipient, run, name: str | dict, chunk: str, error: str, link: str, failed_at
) -> None:
    """Tell a supervisor that a chunk of a batch or campaign failed every retry, so the run
    waits for them (each failure is its own message: a retry that fails again tells again)."""
    notify(
        recipient=recipient,
        event="staff.batch_failed",
        context={"batch": name, "chunk": chunk, "error": error},
        obj=run,
        dedupe_key=f"batch-failed:{run._meta.model_name}:{run.pk}:{failed_at.isoformat()}",
        link=link,
    )


MONITORING_ALERT_TEXTS = {
    "adverse_share": {
        "zh-hans": "不利决定的比例超出了正常范围",
        "en": "The share of adverse decisions left its band",
    },
    "reason_share": {
        "zh-hans": "某个原因代码的占比超出了正常范围",
        "en": "A reason code's share left its band",
    },
    "score_drift": {
        "zh-hans": "评分分布偏离了该版本的影子运行",
        "en": "Scores drifted from the version's shadow run",
    },
    "source_silent": {
        "zh-hans": "一个通常每天发送事件的来源今天没有发送",
        "en": "A source that normally sends events sent none",
    },
}


def _alert_figure(kind: str, value: float) -> str:
    if kind == "score_drift":
        return f"PSI {value:.2f}"
    if kind == "source_silent":
        return f"{value:.0f}"
    return f"{value * 100:.1f}%"


def send_monitoring_alert(*, recipient, alert) -> None:
    """Tell a supervisor that a monitored figure left its band (once per alert)."""
    if alert.kind == "source_silent":
        band = "≥ 1"
    else:
        band = f"{_alert_figure(alert.kind, alert.low)} – {_alert_figure(alert.kind, alert.high)}"
    notify(
        recipient=recipient,
        event="staff.monitoring_alert",
        context={
            "alert": MONITORING_ALERT_TEXTS[alert.kind],
            "subject": alert.subject,
            "day": alert.day.isoformat(),
            "value": _alert_figure(alert.kind, alert.value),
            "band": band,
        },
        obj=alert,
    )


def send_decision_review_needed(
    *, recipient, review, customer_id: str, outcome: dict, segment: str, due_on: str
) -> None:
    """Tell a reviewer that a key customer's closure or pause waits for their review."""
    notify(
        recipient=recipient,
        event="staff.key_customer_review_needed",
        context={
            "customer_id": customer_id,
            "outcome": outcome,
            "segment": segment,
            "due_on": due_on,
        },
        obj=review,
    )


# --- Declared events ---------------------------------------------------------------------
# What credit tells people, registered with notifications at start-up; its templates are in
# credit/templates/credit/messages/<event>/<language>/. Also declared here, because credit
# sends them: repayment reminders (tips: they are about the borrower's credit line and its
# repayment dates) and batches held for review (campaigns and corrections are credit's).


TEMPLATES = "credit/messages"
CREDIT_CATEGORY = register_category(
    CategorySpec(name="credit", label=_("Changes to your credit line"), order=10)
)
TIPS_CATEGORY = register_category(
    CategorySpec(name="tips", label=_("Tips and reminders"), order=40, opt_in=True)
)

SAMPLE_REASONS = [
    {"zh-hans": "近期在多家平台申请借款", "en": "Applications at many other lenders recently"},
    {"zh-hans": "信用评分动态调整", "en": "Your credit score changed"},
]
REASONS = ("principal reasons, ranked: a list of localised texts", SAMPLE_REASONS)
SAMPLE_WOULD_CHANGE = [
    {
        "zh-hans": "如果您结清其他平台的 1 笔借款（目前 3 笔未结清，结清后 2 笔），"
        "您的额度今天即可通过我们的评估。",
        "en": "If you close 1 of your loans at other platforms (3 open now, 2 after), your "
        "credit line would pass our check today.",
    },
]
WOULD_CHANGE = (
    "what would change the decision, and when (computed when it was made): localised texts",
    SAMPLE_WOULD_CHANGE,
)


def send_risk_tip(*, recipient, topic: str, period: str, link: str) -> int:
    """This period's tip to one borrower who turned tips on (the once-per-period key is the
    period). Returns how many messages were written (0 if already told this period)."""
    return len(
        notify(
            recipient=recipient,
            event="tips.risk_reminder",
            context={"topic": topic, "period": period},
            link=link,
        )
    )


SEGMENT_NOTE = (
    "what the borrower's policy segment changed, only when it did (localised text)",
    {
        "zh-hans": "由于您长期按时还款，我们决定调低您的额度，而不是关闭您的信用额度。",
        "en": (
            "Because you have repaid on time for a long time, we decided to reduce your "
            "limit instead of closing your credit line."
        ),
    },
)


def _credit_event(name, label, *, context, **rules) -> EventSpec:
    return register(
        EventSpec(
            name=name,
            label=label,
            category=CREDIT_CATEGORY.name,
            channels=ALL_CHANNELS,
            templates=TEMPLATES,
            context=context,
            default_link="/credit/",
            **rules,
        )
    )


_credit_event(
    "credit.closure_scheduled",
    _("Closure scheduled"),
    legal=True,
    context={
        "closing_effective_on": ("date the closure takes effect (ISO date)", "2026-12-28"),
        "credit_limit": ("current credit limit (decimal string, CNY)", "20000.00"),
        "reasons": REASONS,
        "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
        "what_would_change": WOULD_CHANGE,
        "segment_note": SEGMENT_NOTE,
    },
    optional=("segment_note",),
    sms_params=("closing_effective_on",),
)
_credit_event(
    "credit.closed",
    _("Credit line closed"),
    legal=True,
    context={
        "closed_on": ("date the line closed (ISO date)", "2026-12-28"),
        "reasons": REASONS,
        "appeal_by": ("last day to appeal (ISO date)", "2027-02-26"),
        "what_would_change": WOULD_CHANGE,
    },
    sms_params=("closed_on",),
)
_credit_event(
    "credit.limit_reduced",
    _("Limit reduced"),
    legal=True,
    context={
        "old_limit": ("limit before (decimal string, CNY)", "20000.00"),
        "new_limit": ("limit after (decimal string, CNY)", "8000.00"),
        "effective_on": ("date the new limit applies (ISO date)", "2026-11-28"),
        "scheduled": ("the new limit applies from a later date (notice period)", True),
        "reasons": REASONS,
        "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
        "segment_note": SEGMENT_NOTE,
        "what_would_change": WOULD_CHANGE,
    },
    optional=("segment_note",),
    sms_params=("new_limit",),
)
_credit_event(
    "credit.frozen",
    _("Credit line paused"),
    context={
        "paused_on": ("date the pause takes effect (ISO date)", "2026-12-28"),
        "scheduled": ("the pause takes effect on a later date (notice period)", True),
        "reasons": REASONS,
        "appeal_by": ("last day to appeal (ISO date)", "2027-01-27"),
        "segment_note": SEGMENT_NOTE,
        "what_would_change": WOULD_CHANGE,
    },
    optional=("segment_note",),
    sms_params=(),
)
_credit_event(
    "credit.reinstated",
    _("Credit line restored"),
    context={
        "credit_limit": ("restored credit limit (decimal string, CNY)", "20000.00"),
        "explanation": (
            "why, one sentence (localised text)",
            {
                "zh-hans": "您提交的证明材料显示其他平台的借款已全部结清。",
                "en": "Your documents show that your loans at other lenders are fully repaid.",
            },
        ),
    },
    optional=("explanation",),
    sms_params=("credit_limit",),
)
_credit_event(
    "credit.system_error_corrected",
    _("System error corrected"),
    context={
        "decided_on": ("date of the wrong decision (ISO date)", "2026-11-02"),
        "credit_limit": ("restored credit limit (decimal string, CNY)", "20000.00"),
    },
    sms_params=("decided_on",),
)
# The risk tip of a period (credit.services.tips): one topic per period, rotating, sent to
# borrowers who turned tips on. The topics say only what is true of every borrower's line.
TIP_TOPICS = ("on_time", "multi_lending", "check_report", "talk_to_us")
register(
    EventSpec(
        name="tips.risk_reminder",
        label=_("Tip: keeping good credit"),
        category=TIPS_CATEGORY.name,
        channels=ALL_CHANNELS,
        templates=TEMPLATES,
        context={
            "topic": (f"the tip, one of {', '.join(TIP_TOPICS)}", "multi_lending"),
            "period": ("first day of the tips period (ISO date)", "2026-12-01"),
        },
        default_link="/help/",
        dedupe="tips:{period}",
        # A template provider sends one approved text for every topic ("a new tip is in
        # your Messages"); the other SMS backends send the topic's title.
        sms_params=(),
    )
)
register(
    EventSpec(
        name="staff.batch_held",
        label=_("Batch held for review"),
        category=STAFF_CATEGORY.name,
        channels=STAFF_CHANNELS,
        audience=Audience.STAFF,
        templates=TEMPLATES,
        context={
            "batch": ("name of the campaign or batch", "Campaign 2026-11 multi-lending"),
            "affected": ("how many lines it would change (integer string)", "1250"),
            "held_because": (
                "why it was held",
                {
                    "zh-hans": "影响的额度数量超过了自动执行的上限。",
                    "en": "It affects more credit lines than may run without review.",
                },
            ),
        },
        default_link="/admin/",
    )
)
register(
    EventSpec(
        name="staff.batch_failed",
        label=_("Batch stopped: a chunk failed"),
        category=STAFF_CATEGORY.name,
        channels=STAFF_CHANNELS,
        audience=Audience.STAFF,
        templates=TEMPLATES,
        context={
            "batch": (
                "name of the campaign or batch (a batch's in each language)",
                {"zh-hans": "2026-11-30 夜间重新评估", "en": "Nightly re-evaluation 2026-11-30"},
            ),
            "chunk": (
                "the chunk that failed: its first line and how many more",
                "#1201 (+499)",
            ),
            "error": (
                "the error of its last try (not translated)",
                "OperationalError: canceling statement due to statement timeout",
            ),
        },
        default_link="/admin/",
    )
)
register(
    EventSpec(
        name="staff.monitoring_alert",
        label=_("Monitoring alert"),
        category=STAFF_CATEGORY.name,
        channels=STAFF_CHANNELS,
        audience=Audience.STAFF,
        templates=TEMPLATES,
        context={
            "alert": (
                "what left its band",
                {
                    "zh-hans": "不利决定的比例超出了正常范围",
                    "en": "The share of adverse decisions left its band",
                },
            ),
            "subject": (
                "which version, segment, reason code or source",
                "scorecard v3 · policy v2",
            ),
            "day": ("the day measured (ISO date)", "2026-11-29"),
            "value": ("the figure that day", "18.4%"),
            "band": ("the band it was expected in", "3.1% – 8.9%"),
        },
        default_link="/admin/credit/monitoringday/",
    )
)
register(
    EventSpec(
        name="staff.key_customer_review_needed",
        label=_("Key customer decision waiting for review"),
        category=STAFF_CATEGORY.name,
        channels=STAFF_CHANNELS,
        audience=Audience.STAFF,
        templates=TEMPLATES,
        context={
            "customer_id": ("the borrower's customer ID", "C-1007"),
            "outcome": (
                "what the engine would do (localised text)",
                {"zh-hans": "安排关闭", "en": "Closure scheduled"},
            ),
            "segment": ("the policy segment that asks for the review", "key_customer"),
            "due_on": ("the review's due date (ISO date)", "2026-12-02"),
        },
        default_link="/admin/credit/decisionreview/",
    )
)
