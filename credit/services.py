"""Every write to credit lines, decisions and rule versions goes through these functions."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import engine, holds, notices, selectors
from .models import (
    ClosureDeferral,
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionPolicy,
    DecisionReason,
    DecisionTrigger,
    ReasonCode,
    Scorecard,
    VersionStatus,
)

logger = logging.getLogger(__name__)

DEFAULT_DEBOUNCE_SECONDS = 60
NOTICES_INLINE = "inline"
NOTICES_DEFERRED = "deferred"
# Notices of decisions younger than this are checked by the sweep.
NOTICE_SWEEP_WINDOW = timedelta(days=3)
PENDING_KEY = "credit:reevaluation-pending:{line_id}"


# --- Lines ------------------------------------------------------------------------------------


def _money(value, name: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except Exception as exc:
        raise ValidationError({name: "Enter an amount in CNY, e.g. 20000.00."}) from exc
    if amount < 0:
        raise ValidationError({name: "The amount cannot be negative."})
    return amount


@transaction.atomic
def credit_line_upsert(*, borrower, credit_limit, balance) -> tuple[CreditLine, bool]:
    """Create the borrower's line (active) or update its limit and balance.

    Only the core system's terms change here; the status changes only through decisions.
    """
    credit_limit = _money(credit_limit, "credit_limit")
    balance = _money(balance, "balance")
    line = CreditLine.objects.select_for_update().filter(borrower=borrower).first()
    if line is None:
        line = CreditLine(borrower=borrower, credit_limit=credit_limit, balance=balance)
        line.save()
        return line, True
    if line.credit_limit != credit_limit or line.balance != balance:
        line.credit_limit = credit_limit
        line.balance = balance
        line.save(update_fields=["credit_limit", "balance", "updated_at"])
    return line, False


# --- Re-evaluation requests -------------------------------------------------------------------


def _debounce_seconds() -> int:
    return int(getattr(settings, "CREDIT_REEVALUATION_DEBOUNCE_SECONDS", DEFAULT_DEBOUNCE_SECONDS))


def reevaluation_request(*, line_ids: Iterable[int], trigger: str) -> None:
    """Queue a re-evaluation of each line once the caller's transaction commits.

    Debounced per line: the first request claims a key in the shared cache (Redis in
    production, so every web process and worker sees it) and schedules one evaluation a
    debounce period later; requests while the key exists ride along. The task releases the
    key before it reads the events, so nothing that arrives after the read is missed.
    """
    ids = sorted({int(i) for i in line_ids})
    if trigger not in DecisionTrigger.values:
        raise ValueError(f"Unknown trigger {trigger!r}")
    if ids:
        transaction.on_commit(lambda: _schedule_debounced(ids, trigger))


def _schedule_debounced(line_ids: Sequence[int], trigger: str) -> None:
    from .tasks import reevaluate_line

    delay = _debounce_seconds()
    for line_id in line_ids:
        if cache.add(PENDING_KEY.format(line_id=line_id), trigger, timeout=delay + 300):
            reevaluate_line.apply_async(args=[line_id, trigger], countdown=delay)


def reevaluation_release(*, line_id: int) -> None:
    """Let the next request for this line schedule a new evaluation (called by the task)."""
    cache.delete(PENDING_KEY.format(line_id=line_id))


def credit_lines_reevaluation_queue(*, line_ids: Iterable[int], trigger: str, actor=None) -> int:
    """Queue an immediate (not debounced) re-evaluation of these lines in chunks, on commit.

    Used by staff from the admin and by the nightly run. Returns the number of chunks.
    """
    from .tasks import reevaluate_lines

    ids = sorted({int(i) for i in line_ids})
    size = int(getattr(settings, "CREDIT_REEVALUATION_CHUNK_SIZE", 1000))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    actor_id = getattr(actor, "pk", None)
    for chunk in chunks:
        transaction.on_commit(lambda chunk=chunk: reevaluate_lines.delay(chunk, trigger, actor_id))
    return len(chunks)


# --- Evaluating lines (bulk) --------------------------------------------------------------


@dataclass
class ReevaluationSummary:
    evaluated: int = 0
    outcomes: Counter = field(default_factory=Counter)
    decisions: list[CreditDecision] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(self.outcomes.values())

    def merge(self, other: ReevaluationSummary) -> None:
        self.evaluated += other.evaluated
        self.outcomes.update(other.outcomes)
        self.decisions.extend(other.decisions)


@transaction.atomic
def credit_lines_reevaluate(
    *,
    line_ids: Iterable[int],
    trigger: str,
    actor=None,
    as_of: datetime | None = None,
    now: datetime | None = None,
    keep_decisions: bool = True,
    notice_mode: str = NOTICES_INLINE,
) -> ReevaluationSummary:
    """Evaluate lines against the active scorecard and policy and apply what changes.

    Reads the lines (locked), their latest decisions and all their events in three queries,
    runs the pure engine, then writes in bulk: the changed lines, one immutable decision per
    changed line with its ranked reasons, and the borrower's notice. A line whose outcome
    does not change gets no decision.

    Notices are written in this transaction (`inline`), or, for big batches (`deferred`),
    rendered by a task queued on commit; the hourly sweep sends any a lost task missed.
    """
    if trigger not in DecisionTrigger.values:
        raise ValueError(f"Unknown trigger {trigger!r}")
    now = now or timezone.now()
    as_of = as_of or now
    rules = selectors.active_rules()
    ids = sorted({int(i) for i in line_ids})
    summary = ReevaluationSummary()

    # Most lines don't change, so read and score them without locks, then lock only the
    # lines that change and check nothing moved in between; a line that did is evaluated
    # again under its lock.
    rows = selectors.lines_for_evaluation(ids)
    summary.evaluated = len(rows)
    plans = _plan(rows, rules, as_of=as_of)
    if plans:
        read = {row.id: row for row in rows}
        locked = list(
            CreditLine.objects.select_for_update(of=("self",))
            .filter(id__in=list(plans))
            .order_by("id")
        )
        moved = [line.id for line in locked if _moved(line, read[line.id])]
        if moved:
            for line_id in moved:
                plans.pop(line_id)
            plans.update(
                _plan(selectors.lines_for_evaluation(moved, lock=True), rules, as_of=as_of)
            )
            locked = [
                CreditLine.objects.get(pk=line.id) if line.id in moved else line for line in locked
            ]
        changed = []
        for line in locked:
            planned = plans.get(line.id)
            if planned is None:
                continue
            plan, verdict = planned
            decision = _apply_plan(line, plan, now=now)
            decision.trigger = trigger
            decision.scorecard = rules.scorecard
            decision.policy = rules.policy
            decision.features = verdict.features
            decision.points = [a.as_dict() for a in verdict.attributes]
            decision.score = verdict.score
            decision.actor = actor
            decision.note = _verdict_note(verdict)
            reasons = (
                []
                if decision.outcome == DecisionOutcome.REINSTATE
                else [(r.code, r.attribute, r.points_lost, r.knockout) for r in verdict.reasons]
            )
            changed.append((line, decision, reasons))
        if changed:
            _write_decisions(rows=changed, notice_mode=notice_mode)
        for _, decision, _ in changed:
            summary.outcomes[decision.outcome] += 1
        if keep_decisions:
            summary.decisions = [decision for _, decision, _ in changed]
    return summary


def _moved(line: CreditLine, row: selectors.LineRow) -> bool:
    return (line.status, line.credit_limit, line.updated_at) != (
        row.status,
        row.credit_limit,
        row.updated_at,
    )


def _plan(
    rows: Sequence[selectors.LineRow], rules: selectors.ActiveRules, *, as_of: datetime
) -> dict[int, tuple[engine.Plan, engine.Verdict]]:
    """Score every line; return the plan and verdict of each line whose outcome changes.

    A line's latest decision matters only when it is not active (was it a person's pause?)
    or the verdict is a reduction (was the limit already cut?), so only those are read.
    """
    if not rows:
        return {}
    events = selectors.events_by_line([row.id for row in rows], as_of=as_of)
    verdicts = {}
    for row in rows:
        facts = engine.facts_from_rows(
            row.id, row.opened_at, row.credit_limit, row.balance, events.get(row.id, ())
        )
        verdict = engine.decide(
            rules.policy_rules, rules.card_rules, engine.compute_features(facts, as_of=as_of)
        )
        verdicts[row.id] = verdict
    need_history = [
        row.id
        for row in rows
        if row.status != CreditLineStatus.ACTIVE or verdicts[row.id].outcome != "keep"
    ]
    last = selectors.last_decisions(need_history) if need_history else {}
    buffers = selectors.reason_buffer_days() if need_history else {}
    plans = {}
    for row in rows:
        verdict = verdicts[row.id]
        plan = engine.plan_change(selectors.line_state(row, last.get(row.id)), verdict, buffers)
        if plan is not None:
            plans[row.id] = (plan, verdict)
    return plans


def _verdict_note(verdict: engine.Verdict) -> str:
    parts = []
    if verdict.knockouts:
        parts.append("knock-out: " + ", ".join(verdict.knockouts))
    if verdict.segment:
        parts.append(f"segment: {verdict.segment}")
    return "; ".join(parts)


def _apply_plan(line: CreditLine, plan: engine.Plan, *, now: datetime) -> CreditDecision:
    """Run the FSM transition the plan names on the (locked) line; return the unsaved decision."""
    old_status, old_limit = line.status, line.credit_limit
    if plan.outcome == DecisionOutcome.SCHEDULE_CLOSURE:
        line.schedule_closure(effective_at=now + timedelta(days=plan.buffer_days))
    elif plan.outcome == DecisionOutcome.FREEZE:
        line.freeze()
    elif plan.outcome == DecisionOutcome.REDUCE_LIMIT:
        line.reduce_limit(new_limit=plan.new_limit)
    elif plan.outcome == DecisionOutcome.REINSTATE and line.status == CreditLineStatus.ACTIVE:
        line.restore_limit(new_limit=plan.new_limit)
    elif plan.outcome == DecisionOutcome.REINSTATE:
        line.reinstate(new_limit=plan.new_limit)
    elif plan.outcome == DecisionOutcome.CLOSE:
        line.close()
    else:  # pragma: no cover - the engine plans only the outcomes above
        raise ValueError(plan.outcome)
    line.updated_at = now
    return CreditDecision(
        line=line,
        created_at=now,
        outcome=plan.outcome,
        old_status=old_status,
        new_status=line.status,
        old_limit=old_limit,
        new_limit=line.credit_limit,
        closing_effective_at=line.closing_effective_at,
    )


def _update_lines(lines: Sequence[CreditLine]) -> None:
    """Write the changed lines with one UPDATE per distinct new state (a batch has few)."""
    groups: dict[tuple, list[int]] = {}
    for line in lines:
        key = (line.status, line.credit_limit, line.closing_effective_at, line.updated_at)
        groups.setdefault(key, []).append(line.pk)
    for (status, limit, closing_at, updated_at), ids in groups.items():
        CreditLine.objects.filter(pk__in=ids).update(
            status=status,
            credit_limit=limit,
            closing_effective_at=closing_at,
            updated_at=updated_at,
        )


def _write_decisions(
    rows: list[tuple[CreditLine, CreditDecision, list[tuple[str, str, int, bool]]]],
    *,
    notice_mode: str = NOTICES_INLINE,
) -> None:
    """Bulk-write changed lines, their decisions and reasons, then notify each borrower."""
    _update_lines([line for line, _, _ in rows])
    decisions = CreditDecision.objects.bulk_create([decision for _, decision, _ in rows])
    codes = selectors.reason_codes_by_code(code for _, _, reasons in rows for code, *_ in reasons)
    reasons_by_decision: dict[int, list[DecisionReason]] = {}
    all_reasons = []
    for (_, _, reasons), decision in zip(rows, decisions, strict=True):
        objs = [
            DecisionReason(
                decision=decision,
                rank=rank,
                reason_code=codes[code],
                attribute=attribute,
                points_lost=points_lost,
                knockout=knockout,
            )
            for rank, (code, attribute, points_lost, knockout) in enumerate(reasons, start=1)
        ]
        reasons_by_decision[id(decision)] = objs
        all_reasons.extend(objs)
    DecisionReason.objects.bulk_create(all_reasons)
    if notice_mode == NOTICES_DEFERRED:
        ids = [d.pk for d in decisions]
        transaction.on_commit(lambda: _queue_notices(ids))
        return
    uncached = [line.borrower_id for line, _, _ in rows if not CreditLine.borrower.is_cached(line)]
    borrowers = get_user_model().objects.in_bulk(uncached) if uncached else {}
    for (line, _, _), decision in zip(rows, decisions, strict=True):
        recipient = borrowers.get(line.borrower_id) or line.borrower
        notices.send_decision_notice(
            decision, recipient=recipient, reasons=reasons_by_decision[id(decision)]
        )


@transaction.atomic
def credit_line_reevaluate(*, line: CreditLine, trigger: str, actor=None) -> CreditDecision | None:
    """Evaluate one line now, in the caller's transaction (appeals, operations).

    Returns the decision when the line changed, None when the outcome stands.
    """
    summary = credit_lines_reevaluate(line_ids=[line.pk], trigger=trigger, actor=actor)
    line.refresh_from_db()
    return summary.decisions[0] if summary.decisions else None


# --- Decisions not made by the scorecard (staff, campaigns, corrections, appeals) ----------


MANUAL_OUTCOMES = (
    DecisionOutcome.REDUCE_LIMIT,
    DecisionOutcome.FREEZE,
    DecisionOutcome.SCHEDULE_CLOSURE,
    DecisionOutcome.REINSTATE,
)


@transaction.atomic
def credit_line_decide(
    *,
    line: CreditLine,
    outcome: str,
    trigger: str,
    reason_codes: Sequence[str],
    actor=None,
    note: str = "",
    new_limit: Decimal | None = None,
    buffer_days: int | None = None,
    now: datetime | None = None,
) -> CreditDecision:
    """Apply an outcome chosen by a person or a campaign, with the reasons they give.

    Rules: at least one reason for an adverse outcome, at most four, each a known code; a
    reduction needs a new, lower limit; a closure's notice period defaults to the smallest
    default of its reasons (0 for regulatory and system-error codes); the transition must be
    allowed from the line's status. The decision is recorded and the borrower told.
    """
    if outcome not in MANUAL_OUTCOMES:
        raise ValidationError({"outcome": f"Choose one of {', '.join(MANUAL_OUTCOMES)}."})
    if trigger not in DecisionTrigger.values:
        raise ValidationError({"trigger": f"Unknown trigger {trigger!r}."})
    codes = list(dict.fromkeys(reason_codes))
    if outcome != DecisionOutcome.REINSTATE and not codes:
        raise ValidationError({"reason_codes": "Give at least one reason for this decision."})
    if len(codes) > engine.MAX_REASONS:
        raise ValidationError({"reason_codes": "Give at most four reasons."})
    known = selectors.reason_codes_by_code(codes)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError({"reason_codes": f"Unknown reason code(s): {', '.join(unknown)}."})

    line = CreditLine.objects.select_for_update().select_related("borrower").get(pk=line.pk)
    if outcome == DecisionOutcome.REDUCE_LIMIT and (
        new_limit is None or not (0 <= Decimal(new_limit) < line.credit_limit)
    ):
        raise ValidationError({"new_limit": "Give a new limit below the current one."})
    if (
        outcome == DecisionOutcome.REINSTATE
        and line.status == CreditLineStatus.ACTIVE
        and (new_limit is None or Decimal(new_limit) <= line.credit_limit)
    ):
        raise ValidationError(
            {"new_limit": "An active line is restored only by raising its limit back."}
        )
    if buffer_days is None:
        defaults = [known[c].default_buffer_days for c in codes]
        buffer_days = min(defaults) if defaults else 30
    plan = engine.Plan(
        outcome=outcome,
        new_status={
            DecisionOutcome.REDUCE_LIMIT: CreditLineStatus.ACTIVE,
            DecisionOutcome.FREEZE: CreditLineStatus.FROZEN,
            DecisionOutcome.SCHEDULE_CLOSURE: CreditLineStatus.CLOSING,
            DecisionOutcome.REINSTATE: CreditLineStatus.ACTIVE,
        }[outcome],
        new_limit=Decimal(new_limit) if new_limit is not None else line.credit_limit,
        buffer_days=buffer_days,
    )
    if not _transition_allowed(line, outcome):
        raise ValidationError(
            {"outcome": f"A line that is {line.status} cannot take the outcome {outcome}."}
        )
    now = now or timezone.now()
    decision = _apply_plan(line, plan, now=now)
    if outcome == DecisionOutcome.SCHEDULE_CLOSURE and buffer_days == 0:
        # No notice period (regulatory, fraud): the line closes at once.
        line.close()
        decision.outcome = DecisionOutcome.CLOSE
        decision.new_status = line.status
    decision.trigger = trigger
    decision.actor = actor
    decision.note = note
    _write_decisions([(line, decision, [(code, "", 0, False) for code in codes])])
    return decision


def _transition_allowed(line: CreditLine, outcome: str) -> bool:
    method = {
        DecisionOutcome.REDUCE_LIMIT: line.reduce_limit,
        DecisionOutcome.FREEZE: line.freeze,
        DecisionOutcome.SCHEDULE_CLOSURE: line.schedule_closure,
        DecisionOutcome.REINSTATE: (
            line.restore_limit if line.status == CreditLineStatus.ACTIVE else line.reinstate
        ),
    }[outcome]
    from django_fsm import can_proceed

    return can_proceed(method)


# --- Closing lines whose notice period has ended -----------------------------------------


@dataclass
class CloseDueSummary:
    closed: int = 0
    held: int = 0
    cleared: int = 0


@transaction.atomic
def credit_lines_close_due(*, line_ids: Sequence[int] | None = None, now=None) -> CloseDueSummary:
    """Close lines whose notice period has ended, unless something holds the closure.

    First the due lines are re-evaluated: a line whose reasons no longer hold is restored
    instead. Then each remaining line is checked against the registered holds (an open
    appeal holds its closure); a held line stays closing and the hold is recorded with its
    reason; every other line closes, with a decision and a notice.
    """
    now = now or timezone.now()
    summary = CloseDueSummary()
    due = list(line_ids) if line_ids is not None else selectors.line_ids_due_for_closure(now=now)
    if not due:
        return summary
    reevaluated = credit_lines_reevaluate(
        line_ids=due, trigger=DecisionTrigger.PERIODIC, now=now, keep_decisions=False
    )
    summary.cleared = reevaluated.outcomes.get(DecisionOutcome.REINSTATE, 0)

    lines = list(
        CreditLine.objects.select_for_update(of=("self",))
        .select_related("borrower")
        .filter(id__in=due, status=CreditLineStatus.CLOSING, closing_effective_at__lte=now)
        .order_by("id")
    )
    held = holds.holds_for([line.id for line in lines])
    to_close = []
    for line in lines:
        line_holds = held.get(line.id)
        if line_holds:
            summary.held += 1
            for hold in line_holds:
                deferral, created = ClosureDeferral.objects.get_or_create(
                    line=line,
                    closing_effective_at=line.closing_effective_at,
                    hold=hold.name,
                    defaults={
                        "detail": hold.detail,
                        "first_deferred_at": now,
                        "last_deferred_at": now,
                    },
                )
                if not created:
                    ClosureDeferral.objects.filter(pk=deferral.pk).update(
                        last_deferred_at=now, detail=hold.detail
                    )
            continue
        to_close.append(line)

    if not to_close:
        return summary
    scheduling = _scheduling_decisions([line.id for line in to_close])
    rows = []
    for line in to_close:
        source = scheduling.get(line.id)
        decision = _apply_plan(
            line, engine.Plan("close", CreditLineStatus.CLOSED, line.credit_limit), now=now
        )
        decision.trigger = DecisionTrigger.PERIODIC
        decision.note = "The notice period ended."
        reasons = []
        if source is not None:
            decision.scorecard_id = source.scorecard_id
            decision.policy_id = source.policy_id
            decision.features = source.features
            decision.points = source.points
            decision.score = source.score
            reasons = [
                (r.reason_code.code, r.attribute, r.points_lost, r.knockout)
                for r in source.reasons.all()
            ]
        rows.append((line, decision, reasons))
    _write_decisions(rows)
    summary.closed = len(rows)
    return summary


def _scheduling_decisions(line_ids: Sequence[int]) -> dict[int, CreditDecision]:
    """The decision that scheduled each line's closure (latest schedule_closure)."""
    found: dict[int, CreditDecision] = {}
    qs = (
        CreditDecision.objects.filter(
            line_id__in=line_ids, outcome=DecisionOutcome.SCHEDULE_CLOSURE
        )
        .prefetch_related("reasons__reason_code")
        .order_by("line_id", "-created_at", "-id")
    )
    for decision in qs:
        found.setdefault(decision.line_id, decision)
    return found


# --- Notices sent after commit (big batches) -------------------------------------------------


def _queue_notices(decision_ids: list[int]) -> None:
    from .tasks import send_decision_notices

    try:
        send_decision_notices.delay(decision_ids)
    except Exception:  # broker down: the hourly sweep sends them
        logger.warning(
            "Could not queue %d decision notices; the sweep will send them",
            len(decision_ids),
            exc_info=True,
        )


@transaction.atomic
def decision_notices_send(*, decision_ids: Sequence[int]) -> int:
    """Send the notice of each of these decisions that has none yet. Safe to run twice:
    notify() never writes a second row for the same decision, event and channel."""
    decisions = list(
        CreditDecision.objects.filter(pk__in=decision_ids)
        .select_related("line__borrower")
        .prefetch_related("reasons__reason_code")
        .order_by("id")
    )
    already = selectors.decision_ids_with_notices([d.pk for d in decisions])
    sent = 0
    for decision in decisions:
        if decision.pk in already or notices.event_for(decision) is None:
            continue
        notices.send_decision_notice(
            decision, recipient=decision.line.borrower, reasons=list(decision.reasons.all())
        )
        sent += 1
    return sent


def decision_notices_sweep(*, now: datetime | None = None) -> int:
    """Send notices that a lost task never sent, for recent decisions (hourly)."""
    now = now or timezone.now()
    ids = selectors.recent_decision_ids(since=now - NOTICE_SWEEP_WINDOW)
    sent = 0
    for start in range(0, len(ids), 500):
        sent += decision_notices_send(decision_ids=ids[start : start + 500])
    return sent


# --- Reason codes and rule versions (admin) ------------------------------------------------


@transaction.atomic
def reason_code_save(*, reason_code: ReasonCode) -> ReasonCode:
    """Save an edited reason code; both languages' title, explanation and advice are required."""
    reason_code.full_clean()
    reason_code.save()
    return reason_code


def scorecard_check(card: Scorecard) -> engine.ScorecardRules:
    try:
        rules = selectors.scorecard_rules(card)
    except engine.RulesError as exc:
        raise ValidationError({"attributes": str(exc)}) from exc
    missing = sorted(rules.reason_codes() - set(ReasonCode.objects.values_list("code", flat=True)))
    if missing:
        raise ValidationError({"attributes": f"Unknown reason code(s): {', '.join(missing)}."})
    return rules


def policy_check(policy: DecisionPolicy) -> engine.PolicyRules:
    try:
        rules = selectors.policy_rules(policy)
    except engine.RulesError as exc:
        raise ValidationError(str(exc)) from exc
    missing = sorted(rules.reason_codes() - set(ReasonCode.objects.values_list("code", flat=True)))
    if missing:
        raise ValidationError({"knockouts": f"Unknown reason code(s): {', '.join(missing)}."})
    return rules


def _next_version(model) -> int:
    latest = model.objects.order_by("-version").values_list("version", flat=True).first()
    return (latest or 0) + 1


@transaction.atomic
def scorecard_save_draft(*, scorecard: Scorecard) -> Scorecard:
    """Save a draft scorecard version. Activated versions can no longer change."""
    if scorecard.pk and scorecard.status != VersionStatus.DRAFT:
        raise ValidationError("An activated version can no longer change; copy it to a new draft.")
    if not scorecard.version:
        scorecard.version = _next_version(Scorecard)
    scorecard_check(scorecard)
    scorecard.save()
    return scorecard


@transaction.atomic
def policy_save_draft(*, policy: DecisionPolicy) -> DecisionPolicy:
    """Save a draft policy version. Activated versions can no longer change."""
    if policy.pk and policy.status != VersionStatus.DRAFT:
        raise ValidationError("An activated version can no longer change; copy it to a new draft.")
    if not policy.version:
        policy.version = _next_version(DecisionPolicy)
    policy_check(policy)
    policy.save()
    return policy


@transaction.atomic
def scorecard_copy_to_draft(*, source: Scorecard) -> Scorecard:
    """A new draft version with the same rules, to edit."""
    return Scorecard.objects.create(
        version=_next_version(Scorecard),
        base_points=source.base_points,
        attributes=source.attributes,
        notes=f"Copied from v{source.version}.",
    )


@transaction.atomic
def policy_copy_to_draft(*, source: DecisionPolicy) -> DecisionPolicy:
    return DecisionPolicy.objects.create(
        version=_next_version(DecisionPolicy),
        keep_min_score=source.keep_min_score,
        reduce_min_score=source.reduce_min_score,
        freeze_min_score=source.freeze_min_score,
        reduce_share=source.reduce_share,
        closure_buffer_days=source.closure_buffer_days,
        knockouts=source.knockouts,
        segments=source.segments,
        notes=f"Copied from v{source.version}.",
    )


def _activate(model, obj, validate, actor):
    obj = model.objects.select_for_update().get(pk=obj.pk)
    if obj.status != VersionStatus.DRAFT:
        raise ValidationError(f"Version {obj.version} is {obj.status}; only a draft is activated.")
    validate(obj)
    now = timezone.now()
    model.objects.filter(status=VersionStatus.ACTIVE).update(status=VersionStatus.RETIRED)
    obj.status = VersionStatus.ACTIVE
    obj.activated_at = now
    obj.activated_by = actor
    obj.save(update_fields=["status", "activated_at", "activated_by"])
    return obj


@transaction.atomic
def scorecard_activate(*, scorecard: Scorecard, actor) -> Scorecard:
    """Make a draft the one active scorecard; the previous one retires. Both are then frozen."""
    return _activate(Scorecard, scorecard, scorecard_check, actor)


@transaction.atomic
def policy_activate(*, policy: DecisionPolicy, actor) -> DecisionPolicy:
    """Make a draft the one active policy; the previous one retires. Both are then frozen."""
    return _activate(DecisionPolicy, policy, policy_check, actor)


# --- Postponing a closure (used by appeals after a denial) -----------------------------------


@transaction.atomic
def credit_line_postpone_closure(
    *, line: CreditLine, effective_at: datetime, actor=None, note: str = ""
) -> CreditDecision:
    """Move a closing line's closure to a later date, e.g. 7 days after an appeal's denial.

    Rules: the line must be closing; the new date must be later than the current one (a
    closure is never brought forward here). The line row is locked. The audit record is an
    immutable `CreditDecision` with trigger `appeal`, outcome `schedule_closure`, status
    closing → closing, the new `closing_effective_at`, the actor and the note, and the same
    ranked reasons as the decision that scheduled the closure (so the closure, when it
    happens, still carries them). It sends no notice: the caller tells the borrower (the
    appeal's decision notice says when the closure takes effect).
    """
    line = CreditLine.objects.select_for_update().get(pk=line.pk)
    if line.status != CreditLineStatus.CLOSING:
        raise ValidationError(
            {"line": f"Only a closing line's closure can be postponed; this line is {line.status}."}
        )
    if effective_at <= line.closing_effective_at:
        raise ValidationError(
            {"effective_at": "The new closure date must be later than the current one."}
        )
    previous = line.closing_effective_at
    line.closing_effective_at = effective_at
    line.save(update_fields=["closing_effective_at", "updated_at"])
    source = _scheduling_decisions([line.pk]).get(line.pk)
    decision = CreditDecision.objects.create(
        line=line,
        trigger=DecisionTrigger.APPEAL,
        outcome=DecisionOutcome.SCHEDULE_CLOSURE,
        old_status=CreditLineStatus.CLOSING,
        new_status=CreditLineStatus.CLOSING,
        old_limit=line.credit_limit,
        new_limit=line.credit_limit,
        closing_effective_at=effective_at,
        actor=actor,
        note=(note + "\n" if note else "")
        + f"Closure postponed from {previous.isoformat()} to {effective_at.isoformat()}.",
    )
    if source is not None:
        DecisionReason.objects.bulk_create(
            DecisionReason(
                decision=decision,
                rank=r.rank,
                reason_code=r.reason_code,
                attribute=r.attribute,
                points_lost=r.points_lost,
                knockout=r.knockout,
            )
            for r in source.reasons.all()
        )
    return decision
