"""Re-evaluating lines against the active scorecard and policy: requests (debounced per line),
chunked fan-out to the workers, and the bulk evaluation that plans and applies what changes."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.utils import timezone

from jobs.services import job_enqueue

from .. import engine, selectors
from ..fanout import chunked
from ..models import (
    ADVERSE_OUTCOMES,
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionOutcome,
    DecisionTrigger,
    EvaluationBatchState,
)
from . import activation_guard, feature_state, staging
from ._collector import collector_paused
from ._writes import NOTICES_INLINE, _apply_plan, _write_decisions
from .monitoring import evaluation_tally_record
from .rechecks import counterfactuals_enabled, decision_counterfactuals

logger = logging.getLogger(__name__)
DEFAULT_DEBOUNCE_SECONDS = 60
PENDING_KEY = "credit:reevaluation-pending:{line_id}"


def _debounce_seconds() -> int:
    return int(getattr(settings, "CREDIT_REEVALUATION_DEBOUNCE_SECONDS", DEFAULT_DEBOUNCE_SECONDS))


def reevaluation_request(*, line_ids: Iterable[int], trigger: str) -> None:
    """Queue a re-evaluation of each line once the caller's transaction commits.

    The request is a row written with the caller's act (`jobs`), so a broker outage delays it
    and loses nothing. Debounced per line when it runs (`reevaluation_schedule`).
    """
    ids = sorted({int(i) for i in line_ids})
    if trigger not in DecisionTrigger.values:
        raise ValueError(f"Unknown trigger {trigger!r}")
    if ids:
        job_enqueue(task="credit.request_reevaluation", args=[ids, trigger])


def _claim_pending(line_ids: Sequence[int], trigger: str, *, timeout: int) -> list[int]:
    """The lines whose pending key this call created (SET NX), in order. On Redis, one
    pipelined round trip for every line; on another cache, one add per line."""
    keys = [PENDING_KEY.format(line_id=line_id) for line_id in line_ids]
    backend = caches["default"]  # `cache` is a proxy: isinstance needs the backend itself
    if isinstance(backend, RedisCache):
        # Django's Redis cache has no add_many: pipeline its SET NX (what `add` sends) on the
        # client it writes with, keys and value made as `add` would make them.
        client = backend._cache.get_client(write=True)
        value = backend._cache._serializer.dumps(trigger)
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(backend.make_and_validate_key(key), value, ex=timeout, nx=True)
            created = pipe.execute()
        return [line_id for line_id, ok in zip(line_ids, created, strict=True) if ok]
    return [
        line_id
        for line_id, key in zip(line_ids, keys, strict=True)
        if cache.add(key, trigger, timeout=timeout)
    ]


def reevaluation_schedule(*, line_ids: Sequence[int], trigger: str) -> None:
    """Schedule an evaluation of each line a debounce period from now, unless one is pending:
    one task per chunk of lines (`credit.fanout`), not one per line.

    The first request claims a key per line in the shared cache (Redis in production, so
    every web process and worker sees it; all of a request's lines in one pipelined round
    trip); requests while the key exists ride along. The task releases the keys before it
    reads the events, so nothing that arrives after the read is missed. Without the cache
    (an outage) every request schedules its own evaluation: more work, nothing missed.
    """
    from ..tasks import reevaluate_debounced  # tasks import the services: a real cycle

    delay = _debounce_seconds()
    line_ids = list(line_ids)
    try:
        claimed = _claim_pending(line_ids, trigger, timeout=delay + 300)
    except Exception:  # the cache is down: schedule without the debounce
        logger.warning("Debounce cache unavailable for %s line(s)", len(line_ids), exc_info=True)
        claimed = line_ids
    for chunk in chunked(claimed):
        reevaluate_debounced.apply_async(args=[chunk, trigger], countdown=delay)


def reevaluation_release(*, line_id: int | None = None, line_ids: Sequence[int] = ()) -> None:
    """Let the next request for these lines schedule a new evaluation (called by the task;
    one DEL for all of them on Redis)."""
    ids = [*line_ids, *([line_id] if line_id is not None else [])]
    try:
        cache.delete_many([PENDING_KEY.format(line_id=i) for i in ids])
    except Exception:  # the keys expire by themselves
        logger.warning("Debounce cache unavailable for %s line(s)", len(ids), exc_info=True)


def credit_lines_reevaluation_queue(*, line_ids: Iterable[int], trigger: str, actor=None) -> int:
    """Queue an immediate (not debounced) re-evaluation of these lines in chunks, on commit.

    Used by staff from the admin and by the nightly run. Returns the number of chunks.
    """
    ids = sorted({int(i) for i in line_ids})
    chunks = list(chunked(ids))
    actor_id = getattr(actor, "pk", None)
    for chunk in chunks:
        job_enqueue(task="credit.reevaluate_lines", args=[chunk, trigger, actor_id])
    return len(chunks)


def nightly_lines_due(*, now: datetime, lines: int | None = None) -> list[int]:
    """The lines tonight's incremental pass must score, selected once for the whole pass (one
    query over every line), so the fan-out chunks only these: a quiet night with 5% of lines
    due costs the work of those lines, not a round trip per chunk of every line.

    The other lines are settled: their last look stands. They are counted into the monitoring
    tally now, as their last looks found them (one aggregate), as a chunk counts its lines not
    scored; the caller counts them into its batch as evaluated and unchanged. Given how many
    `lines` the batch counts, a line the scan cannot see (it has no look) is due, not counted."""
    rules = selectors.active_rules()
    key = selectors.rules_key(rules)
    # One scan of every line for both (the due ones, the others' last verdicts).
    due, counted = selectors.lines_due_and_verdicts_not_due(rules_key=key, now=now, lines=lines)
    evaluation_tally_record(rules=rules, counted=feature_state.verdicts_counted(counted), at=now)
    return due


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


@collector_paused()
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
    batch_id: int | None = None,
    incremental: bool = False,
) -> ReevaluationSummary:
    """Evaluate lines against the active scorecard and policy and apply what changes.

    Reads the lines (locked), their latest decisions and all their events in three queries,
    runs the pure engine, then writes in bulk: the changed lines, one immutable decision per
    changed line with its ranked reasons, and the borrower's notice. A line whose outcome
    does not change gets no decision.

    Notices are written in this transaction (`inline`), or, for big batches (`deferred`),
    rendered by a task queued on commit; the hourly sweep sends any a lost task missed.

    While the batch of a newly activated version has not settled, a per-line evaluation (no
    `batch_id`) applies nothing: its lines wait for the batch (`activation_guard`).

    Staged, not applied (`staging`): a key customer's closure or pause goes to a staff review;
    a chunk of a batch (`batch_id`, nightly or after an activation) stages all its decisions
    in the batch, which the circuit breaker applies or holds as a whole once every chunk is
    in (`staging.batch_chunk_gate`). Either way nobody is told yet.

    `incremental` (the nightly pass): only the lines whose look has come are scored, from their
    kept facts rather than all their events (`feature_state`); the others are known not to
    change and count as evaluated. Each line scored, and not staged, gets its next look.
    """
    if trigger not in DecisionTrigger.values:
        raise ValueError(f"Unknown trigger {trigger!r}")
    now = now or timezone.now()
    as_of = as_of or now
    rules = selectors.active_rules()
    ids = sorted({int(i) for i in line_ids})
    summary = ReevaluationSummary()
    if batch_id is None and activation_guard.lines_wait_for_activation_batch(
        rules=rules, line_ids=ids, trigger=trigger, now=now
    ):
        # The active version's batch has not settled: its outcomes apply only through the
        # breaker; the lines are evaluated again when it settles.
        return summary

    # Most lines don't change, so read and score them without locks, then lock only the
    # lines that change and check nothing moved in between; a line that did is evaluated
    # again under its lock.
    verdicts: dict[int, engine.Verdict] = {}
    line_facts: dict[int, engine.LineFacts] = {}  # each scored line's facts (counterfactuals)
    events_of = selectors.events_by_line
    if incremental:
        # Only the lines whose look has come are read; the chunk's other lines are known not
        # to change and count as evaluated (the breaker sees the share of the whole chunk).
        key = selectors.rules_key(rules)
        rows = selectors.lines_due_for_look(ids, rules_key=key, now=now)
        due = [row.id for row in rows]
        summary.evaluated = len(ids)
        facts = feature_state.facts_for(due, now=now)

        def events_of(line_ids, *, as_of):
            return facts

    else:
        rows = selectors.lines_for_evaluation(ids)
        summary.evaluated = len(rows)
    plans = _plan(
        rows, rules, as_of=as_of, seen=verdicts, events_of=events_of, facts_seen=line_facts
    )
    # What this chunk saw, for the daily monitoring figures (one small INSERT per segment); an
    # incremental chunk counts its lines not scored as their last look found them.
    seen_verdicts = list(verdicts.values())
    if incremental:
        scored = set(due)
        seen_verdicts += feature_state.verdicts_as_last_found([i for i in ids if i not in scored])
    evaluation_tally_record(rules=rules, verdicts=seen_verdicts, at=now)
    if batch_id is not None:
        adverse = sum(1 for plan, _ in plans.values() if plan.outcome in ADVERSE_OUTCOMES)
        state = staging.batch_chunk_gate(
            batch_id=batch_id,
            first_line_id=ids[0] if ids else 0,
            # Every id of the chunk counts (a line that vanished too): the batch must end.
            evaluated=len(ids),
            adverse=adverse,
            now=now,
        )
        # Until the whole batch is in and the breaker has decided, a chunk only stages; a
        # chunk turning up after the batch completed applies like any evaluation.
        if state != EvaluationBatchState.COMPLETED:
            read = {row.id: row for row in rows}
            staging.batch_stage(
                batch_id=batch_id,
                state=state,
                items=[
                    _staged(
                        read[line_id],
                        plan,
                        verdict,
                        rules,
                        trigger,
                        actor,
                        now,
                        facts=line_facts[line_id],
                        as_of=as_of,
                    )
                    for line_id, (plan, verdict) in plans.items()
                ],
            )
            if incremental:
                # The lines with nothing to change are looked at; the staged ones stay due
                # until their batch is applied (then the next pass finds them settled).
                _looks_record(
                    rows,
                    facts,
                    verdicts,
                    skip=set(plans),
                    written={},
                    key=key,
                    rules=rules,
                    as_of=as_of,
                    now=now,
                )
            return summary
    changed, to_review = [], []
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
                _plan(
                    selectors.lines_for_evaluation(moved, lock=True),
                    rules,
                    as_of=as_of,
                    seen=verdicts,
                    events_of=events_of,
                    facts_seen=line_facts,
                )
            )
            locked = [
                CreditLine.objects.get(pk=line.id) if line.id in moved else line for line in locked
            ]
        explain = counterfactuals_enabled()
        for line in locked:
            planned = plans.get(line.id)
            if planned is None:
                continue
            plan, verdict = planned
            if staging.needs_review(plan, verdict):
                to_review.append(
                    _staged(
                        line,
                        plan,
                        verdict,
                        rules,
                        trigger,
                        actor,
                        now,
                        facts=line_facts[line.id],
                        as_of=as_of,
                    )
                )
                continue
            decision = _apply_plan(line, plan, now=now)
            decision.trigger = trigger
            decision.scorecard = rules.scorecard
            decision.policy = rules.policy
            decision.features = verdict.features
            decision.points = [a.as_dict() for a in verdict.attributes]
            decision.score = verdict.score
            decision.actor = actor
            decision.note = _verdict_note(verdict)
            decision.segment = verdict.segment or ""
            if explain and decision.outcome in ADVERSE_OUTCOMES:
                # Only adverse outcomes: what would change them, computed once, kept.
                decision.counterfactuals = decision_counterfactuals(
                    verdict=verdict, facts=line_facts[line.id], rules=rules, as_of=as_of
                )
            reasons = (
                []
                if decision.outcome == DecisionOutcome.REINSTATE
                else [(r.code, r.attribute, r.points_lost, r.knockout) for r in verdict.reasons]
            )
            changed.append((line, decision, reasons))
        if changed:
            _write_decisions(rows=changed, notice_mode=notice_mode)
        staging.reviews_stage(to_review, now=now)
    if incremental:
        # A line staged for review stays due, as it would be evaluated again every night.
        _looks_record(
            rows,
            facts,
            verdicts,
            skip={item["line_id"] for item in to_review},
            written={line.id: line.updated_at for line, _, _ in changed},
            key=key,
            rules=rules,
            as_of=as_of,
            now=now,
        )
    for _, decision, _ in changed:
        summary.outcomes[decision.outcome] += 1
    if keep_decisions:
        summary.decisions = [decision for _, decision, _ in changed]
    return summary


def _looks_record(
    rows, facts, verdicts, *, skip: set, written: dict, key, rules, as_of, now
) -> None:
    """Each scored line's next look (the incremental pass), except the lines in `skip`."""
    ahead = feature_state.next_looks(rows, facts, verdicts, as_of=as_of, rules=rules)
    feature_state.looks_record(
        [
            (
                row.id,
                ahead[row.id],
                written.get(row.id, row.updated_at),
                feature_state.verdict_summary(verdicts[row.id]),
            )
            for row in rows
            if row.id in ahead and row.id not in skip
        ],
        rules_key=key,
        now=now,
    )


def _staged(line, plan, verdict, rules, trigger, actor, now, *, facts, as_of) -> dict:
    """A plan kept for later, from a locked line or a line as read (`LineRow`). An adverse
    plan keeps what would change it, from the facts it was made on: a review confirmed days
    later gives the borrower the answers of the staging day, not of the confirming day."""
    explained = counterfactuals_enabled() and plan.outcome in ADVERSE_OUTCOMES
    return staging.staged_fields(
        line_id=line.id,
        status=line.status,
        credit_limit=line.credit_limit,
        updated_at=line.updated_at,
        plan=plan,
        verdict=verdict,
        rules=rules,
        trigger=trigger,
        actor=actor,
        note=_verdict_note(verdict),
        now=now,
        counterfactuals=(
            decision_counterfactuals(verdict=verdict, facts=facts, rules=rules, as_of=as_of)
            if explained
            else []
        ),
    )


def _moved(line: CreditLine, row: selectors.LineRow) -> bool:
    return (line.status, line.credit_limit, line.updated_at) != (
        row.status,
        row.credit_limit,
        row.updated_at,
    )


def _plan(
    rows: Sequence[selectors.LineRow],
    rules: selectors.ActiveRules,
    *,
    as_of: datetime,
    seen: dict | None = None,
    events_of=selectors.events_by_line,
    facts_seen: dict | None = None,
) -> dict[int, tuple[engine.Plan, engine.Verdict]]:
    """Score every line; return the plan and verdict of each line whose outcome changes
    (and put every line's verdict in `seen` and its facts in `facts_seen`, when given).

    Each line's latest decision is read (one query): was it a person's pause, was the limit
    already cut, and by the scorecard (which a "keep" then undoes)?
    """
    if not rows:
        return {}
    events = events_of([row.id for row in rows], as_of=as_of)
    verdicts = {}
    for row in rows:
        facts = engine.facts_from_rows(
            row.id,
            row.opened_at,
            row.credit_limit,
            row.balance,
            events.get(row.id, ()),
            key_customer=row.key_customer,
        )
        if facts_seen is not None:
            facts_seen[row.id] = facts
        verdict = engine.decide(
            rules.policy_rules, rules.card_rules, engine.compute_features(facts, as_of=as_of)
        )
        verdicts[row.id] = verdict
    if seen is not None:
        seen.update(verdicts)
    # Every line's last decision: an active line kept by the verdict may carry a cut the
    # scorecard made, which a "keep" now undoes (one query per chunk).
    last = selectors.last_decisions([row.id for row in rows])
    adverse = any(
        row.status != CreditLineStatus.ACTIVE or verdicts[row.id].outcome != "keep" for row in rows
    )
    buffers = selectors.reason_buffer_days() if adverse else {}
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


@transaction.atomic
def credit_line_reevaluate(*, line: CreditLine, trigger: str, actor=None) -> CreditDecision | None:
    """Evaluate one line now, in the caller's transaction (appeals, operations).

    Returns the decision when the line changed, None when the outcome stands.
    """
    summary = credit_lines_reevaluate(line_ids=[line.pk], trigger=trigger, actor=actor)
    line.refresh_from_db()
    return summary.decisions[0] if summary.decisions else None
