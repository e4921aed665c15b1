"""Decisions the engine planned and staged instead of applying: a key customer's closure or
pause waiting for a staff review, and the decisions of a nightly or post-activation batch the
circuit breaker held. Nothing staged changes a line or tells a borrower until a person lets
it go; applying it writes the decision the engine would have written, and the notice goes then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.localtime import local_date
from accounts.roles import staff_holding
from jobs.services import job_enqueue

from .. import engine, notices
from ..engine import breaker as breaker_rules
from ..engine.reviews import REVIEW_BUSINESS_DAYS, add_business_days
from ..fanout import chunk_size as fanout_chunk_size
from ..fanout import chunked
from ..models import (
    ADVERSE_OUTCOMES,
    CreditDecision,
    CreditLine,
    DecisionOutcome,
    DecisionReview,
    DecisionReviewState,
    DecisionTrigger,
    EvaluationBatch,
    EvaluationBatchChunk,
    EvaluationBatchKind,
    EvaluationBatchState,
    HeldDecision,
    HeldDecisionState,
)
from ..models.staging import StagedPlan
from . import breaker
from ._batches import queue_safely, run_for
from ._writes import (
    NOTICES_DEFERRED,
    NOTICES_INLINE,
    _apply_plan,
    _write_decisions,
    carry_decision_facts,
)
from .activation_guard import waiting_lines_look_again
from .batch_failures import batch_failure_resolve

logger = logging.getLogger(__name__)

REVIEW_PERMISSION = "credit.decide_decisionreview"
REVIEWED_PLANS = frozenset({DecisionOutcome.FREEZE, DecisionOutcome.SCHEDULE_CLOSURE})
OVERRIDE_OUTCOMES = (
    "keep",
    DecisionOutcome.REDUCE_LIMIT,
    DecisionOutcome.FREEZE,
    DecisionOutcome.SCHEDULE_CLOSURE,
)
RELEASE_CHUNK_SIZE = 500
# A batch whose staged decisions are being applied: released by a supervisor, or within the
# breaker's band once every chunk was in.
APPLYING_STATES = (EvaluationBatchState.RELEASED, EvaluationBatchState.APPLYING)
# A staged plan's own fields (by column), copied when a held decision goes to review.
STAGED_FIELDS = tuple(f.attname for f in StagedPlan._meta.fields)

# --- The business-day calendar of the review's due date ------------------------------------

_business_days: Callable[[], Callable[[date], bool]] | None = None


def register_business_calendar(business_days: Callable[[], Callable[[date], bool]]) -> None:
    """An app with a holiday calendar (appeals) lends it to the review's due date:
    `business_days()` reads the calendar and returns its "is this a business day?" test."""
    global _business_days
    _business_days = business_days


def review_due_at(staged_at: datetime) -> datetime:
    """Two business days after staging, in the lender's time zone (weekends off, and the
    registered holiday calendar's days off and make-up working days)."""
    return add_business_days(
        staged_at,
        REVIEW_BUSINESS_DAYS,
        zone=ZoneInfo(settings.TIME_ZONE),
        is_business_day=_business_days() if _business_days else engine.reviews.weekday,
    )


# --- Staging ----------------------------------------------------------------------------------


def staged_fields(
    *,
    line_id: int,
    status: str,
    credit_limit: Decimal,
    updated_at: datetime,
    plan: engine.Plan,
    verdict: engine.Verdict,
    rules,
    trigger: str,
    actor,
    note: str,
    now: datetime,
    counterfactuals: list | None = None,
) -> dict:
    """Everything the decision would record, as a staged plan's fields (with what would
    change it, computed from the facts the plan was made on)."""
    reasons = (
        []
        if plan.outcome == DecisionOutcome.REINSTATE
        else [[r.code, r.attribute, r.points_lost, r.knockout] for r in verdict.reasons]
    )
    return {
        "line_id": line_id,
        "staged_at": now,
        "trigger": trigger,
        "actor": actor,
        "outcome": plan.outcome,
        "old_status": status,
        "new_status": plan.new_status,
        "old_limit": credit_limit,
        "new_limit": plan.new_limit,
        "buffer_days": plan.buffer_days,
        "line_updated_at": updated_at,
        "scorecard": rules.scorecard,
        "policy": rules.policy,
        "score": verdict.score,
        "features": verdict.features or {},
        "points": [a.as_dict() for a in verdict.attributes],
        "segment": verdict.segment or "",
        "note": note,
        "reasons": reasons,
        "review_first": bool(verdict.review_first and plan.outcome in REVIEWED_PLANS),
        "counterfactuals": counterfactuals or [],
    }


def needs_review(plan: engine.Plan, verdict: engine.Verdict) -> bool:
    """A closure or pause of a borrower in a segment the policy marks for review."""
    return bool(verdict.review_first and plan.outcome in REVIEWED_PLANS)


def reviews_stage(items: Sequence[dict], *, now: datetime) -> list[DecisionReview]:
    """Stage key customers' closures and pauses for review (in the caller's transaction, with
    the lines locked) and tell the reviewers. A line with a review pending is not staged
    twice; a line whose reviewer kept it is not staged again for the same outcome and
    reasons (the override stands until the engine's reasons change)."""
    if not items:
        return []
    line_ids = [item["line_id"] for item in items]
    pending = set(
        DecisionReview.objects.filter(
            line_id__in=line_ids, state=DecisionReviewState.PENDING
        ).values_list("line_id", flat=True)
    )
    kept: dict[int, tuple] = {}
    for line_id, outcome, reasons in (
        DecisionReview.objects.filter(
            line_id__in=line_ids, state=DecisionReviewState.OVERRIDDEN, decision__isnull=True
        )
        .order_by("reviewed_at", "id")
        .values_list("line_id", "outcome", "reasons")
    ):
        kept[line_id] = (outcome, [r[0] for r in reasons])
    due_at = review_due_at(now)
    new = [
        DecisionReview(**item, due_at=due_at)
        for item in items
        if item["line_id"] not in pending
        and kept.get(item["line_id"]) != (item["outcome"], [r[0] for r in item["reasons"]])
    ]
    if not new:
        return []
    DecisionReview.objects.bulk_create(new)
    _tell_reviewers(new)
    return new


def _tell_reviewers(reviews: Sequence[DecisionReview]) -> None:
    reviewers = list(staff_holding(REVIEW_PERMISSION))
    if not reviewers:
        logger.warning("%d decisions wait for review and no one may review them", len(reviews))
        return
    customer_ids = dict(
        CreditLine.objects.filter(pk__in=[r.line_id for r in reviews]).values_list(
            "pk", "borrower__customer_id"
        )
    )
    for review in reviews:
        outcome = outcome_words(review.outcome)
        for reviewer in reviewers:
            notices.send_decision_review_needed(
                recipient=reviewer,
                review=review,
                customer_id=customer_ids.get(review.line_id) or str(review.line_id),
                outcome=outcome,
                segment=review.segment,
                due_on=local_date(review.due_at, reviewer).isoformat(),
            )


def outcome_words(outcome: str) -> dict:
    """The outcome's label in both languages, for a staff message."""
    from django.utils import translation

    words = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            words[language] = str(DecisionOutcome(outcome).label)
    return words


# --- Applying what was staged ---------------------------------------------------------------


def _stale(line: CreditLine, staged) -> bool:
    return (line.status, line.credit_limit, line.updated_at) != (
        staged.old_status,
        staged.old_limit,
        staged.line_updated_at,
    )


def _apply_staged(
    staged: Sequence, *, now: datetime, notice_mode: str
) -> dict[int, CreditDecision | None]:
    """Write the decisions staged plans describe, on lines that have not changed since (the
    others get None: a stale plan is never applied). The borrowers are told now."""
    if not staged:
        return {}
    lines = {
        line.pk: line
        for line in CreditLine.objects.select_for_update(of=("self",))
        .select_related("borrower")
        .filter(pk__in=[s.line_id for s in staged])
        .order_by("pk")
    }
    rows, result = [], {}
    for item in staged:
        line = lines[item.line_id]
        if _stale(line, item):
            result[item.pk] = None
            continue
        plan = engine.Plan(item.outcome, item.new_status, item.new_limit, item.buffer_days)
        decision = _apply_plan(line, plan, now=now)
        decision.trigger = item.trigger
        decision.actor_id = item.actor_id
        # The counterfactuals among them were worked out when the plan was staged.
        carry_decision_facts(decision, item)
        decision.note = item.note
        rows.append((line, decision, [tuple(r) for r in item.reasons]))
        result[item.pk] = decision
    if rows:
        _write_decisions(rows=rows, notice_mode=notice_mode)
    return result


# --- Key-customer review ----------------------------------------------------------------------


def _pending(review: DecisionReview) -> DecisionReview:
    review = DecisionReview.objects.select_for_update().get(pk=review.pk)
    if review.state != DecisionReviewState.PENDING:
        raise ValidationError(_("This decision has already been reviewed."))
    return review


@transaction.atomic
def decision_review_confirm(
    *, review: DecisionReview, actor, comment: str = "", now: datetime | None = None
) -> CreditDecision | None:
    """The reviewer confirms the staged closure or pause: it takes effect now and the borrower
    gets the normal notice. If the line changed since it was staged, nothing is applied (the
    review is marked stale) and the engine looks at the line again."""
    now = now or timezone.now()
    review = _pending(review)
    decision = _apply_staged([review], now=now, notice_mode=NOTICES_INLINE)[review.pk]
    review.state = DecisionReviewState.CONFIRMED if decision else DecisionReviewState.STALE
    review.decision = decision
    review.reviewed_by, review.reviewed_at, review.comment = actor, now, comment
    review.save()
    if decision is None:
        from .reevaluation import reevaluation_request  # a real cycle: reevaluation stages

        reevaluation_request(line_ids=[review.line_id], trigger=DecisionTrigger.STAFF)
    return decision


@transaction.atomic
def decision_review_override(
    *,
    review: DecisionReview,
    actor,
    outcome: str,
    reason_code: str,
    comment: str,
    new_limit: Decimal | None = None,
    buffer_days: int | None = None,
    now: datetime | None = None,
) -> CreditDecision | None:
    """The reviewer decides otherwise, with a reason code and a comment: keep the line as it
    is (no decision, nobody told: nothing changed), or reduce, pause or close with notice
    (a staff decision, told to the borrower like any other). The staged plan is not applied."""
    from .decisions import credit_line_decide  # decisions imports the writes, as we do

    if outcome not in OVERRIDE_OUTCOMES:
        raise ValidationError({"outcome": _("Choose keep, reduce, pause or close.")})
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why you decide otherwise.")})
    if not reason_code:
        raise ValidationError({"reason_code": _("Give the reason for your decision.")})
    now = now or timezone.now()
    review = _pending(review)
    codes = [reason_code]
    from ..selectors import reason_codes_by_code

    known = reason_codes_by_code(codes)
    if reason_code not in known:
        raise ValidationError({"reason_code": _("Unknown reason code.")})
    decision = None
    if outcome != "keep":
        decision = credit_line_decide(
            line=review.line,
            outcome=outcome,
            trigger=DecisionTrigger.STAFF,
            reason_codes=codes,
            actor=actor,
            note=comment,
            new_limit=new_limit,
            buffer_days=buffer_days,
            now=now,
        )
    review.state = DecisionReviewState.OVERRIDDEN
    review.decision = decision
    review.override_reason = known[reason_code]
    review.reviewed_by, review.reviewed_at, review.comment = actor, now, comment
    review.save()
    return decision


# --- Batches watched by the circuit breaker ---------------------------------------------------


def evaluation_batch_start(
    *,
    kind: str,
    name: str,
    trigger: str,
    actor=None,
    now: datetime | None = None,
    **versions,
) -> EvaluationBatch:
    """Record a batch over every line (in the caller's transaction); its chunks carry its id.
    With no line at all there is nothing to watch: it is completed at once."""
    now = now or timezone.now()
    total = CreditLine.objects.count()
    return EvaluationBatch.objects.create(
        kind=kind,
        name=name,
        trigger=trigger,
        actor=actor,
        started_at=now,
        lines_total=total,
        trailing_rate=breaker.trailing_adverse_rate(now=now, lines=total),
        state=EvaluationBatchState.RUNNING if total else EvaluationBatchState.COMPLETED,
        **versions,
    )


# The `first_line_id` that counts the lines an incremental batch leaves as they are (line ids
# start at 1, so no chunk of lines has it).
SETTLED_CHUNK = 0


def evaluation_batch_queue(
    *,
    kind: str,
    name: str,
    trigger: str,
    actor=None,
    chunk_size: int | None = None,
    incremental: bool = False,
    **versions,
) -> EvaluationBatch:
    """Start a batch and queue its chunks with the caller's act (durable `jobs` rows).

    `incremental` (the nightly pass): the lines whose look has come are selected once and only
    they are chunked; the others are counted into the batch at once as evaluated and unchanged
    (a chunk of their own, `SETTLED_CHUNK`), so the breaker weighs the whole batch as before.
    Each chunk checks its lines again (a line scored in between counts as evaluated).
    Sets `batch.chunks_queued`."""
    from ..selectors import all_line_ids
    from .reevaluation import nightly_lines_due  # reevaluation imports staging

    batch = evaluation_batch_start(kind=kind, name=name, trigger=trigger, actor=actor, **versions)
    size = chunk_size or fanout_chunk_size()
    extra = [True] if incremental else []
    if not incremental:
        chunks = all_line_ids(chunk_size=size)
    elif batch.lines_total:
        due = nightly_lines_due(now=batch.started_at, lines=batch.lines_total)
        # Every line is counted once: those left now, the due ones by their chunks.
        settled = batch.lines_total - len(due)
        if settled > 0:
            batch_chunk_gate(
                batch_id=batch.pk,
                first_line_id=SETTLED_CHUNK,
                evaluated=settled,
                adverse=0,
                now=batch.started_at,
            )
        chunks = chunked(due, size=size)
    else:
        chunks = []
    batch.chunks_queued = 0
    for chunk in chunks:
        job_enqueue(
            task="credit.reevaluate_lines",
            args=[chunk, trigger, getattr(actor, "pk", None), batch.pk, *extra],
        )
        batch.chunks_queued += 1
    return batch


def evaluation_batch_after_activation(*, version, actor, replaced=None) -> EvaluationBatch:
    """A newly activated scorecard or policy re-evaluates every line as one batch, under the
    circuit breaker, so a broken version is held before any borrower hears of it. The batch
    records the version and the one it `replaced` (put back if the batch is discarded)."""
    is_card = version._meta.model_name == "scorecard"
    label = "Scorecard" if is_card else "Decision policy"
    versions = (
        {"scorecard": version, "replaced_scorecard": replaced}
        if is_card
        else {"policy": version, "replaced_policy": replaced}
    )
    return evaluation_batch_queue(
        kind=EvaluationBatchKind.ACTIVATION,
        name=f"{label} v{version.version} activated",
        trigger=DecisionTrigger.STAFF,
        actor=actor,
        **versions,
    )


def batch_chunk_gate(
    *, batch_id: int, first_line_id: int, evaluated: int, adverse: int, now: datetime
) -> str:
    """Count a chunk into its batch (the batch row is locked, so chunks take turns; a chunk
    run twice is counted once) and return the batch's state: while it is not completed, the
    chunk's decisions are staged, never applied.

    The breaker decides once, for the whole batch, when its last chunk is counted: out of the
    band, the batch is held and supervisors are told; within it, the batch applies its staged
    decisions (in chunks, after commit) and their notices go then. So a version that is adverse
    only in its later chunks is held with nothing applied and nothing told."""
    batch = EvaluationBatch.objects.select_for_update().get(pk=batch_id)
    _, counted = EvaluationBatchChunk.objects.get_or_create(
        batch=batch,
        first_line_id=first_line_id,
        defaults={"lines": evaluated, "adverse": adverse},
    )
    batch.last_progress_at = now
    if counted:
        batch.lines_evaluated += evaluated
        batch.adverse += adverse
        # A chunk that had failed for good ran after all (a supervisor's retry).
        batch_failure_resolve(batch=batch, first_line_id=first_line_id, now=now)
    if batch.state == EvaluationBatchState.RUNNING and batch.lines_evaluated >= batch.lines_total:
        because = breaker_rules.held_because(
            breaker.band(),
            adverse=batch.adverse,
            evaluated=batch.lines_evaluated,
            trailing_rate=batch.trailing_rate,
        )
        if because:
            batch.state, batch.held_because, batch.held_at = (
                EvaluationBatchState.HELD,
                because,
                now,
            )
            breaker.batch_held_tell(
                batch=batch, name=batch.titles(), affected=batch.adverse, because=because
            )
        else:
            batch.state = EvaluationBatchState.APPLYING
            transaction.on_commit(lambda: _queue_apply(batch_id))
    elif counted and batch.state in APPLYING_STATES:
        # A chunk late for a batch being applied: its staged decisions join the run.
        transaction.on_commit(lambda: _queue_apply(batch_id))
    batch.save()
    return batch.state


def batch_stage(*, batch_id: int, state: str, items: Iterable[dict]) -> int:
    """Stage a chunk's plans in its held (or discarded) batch; a chunk run twice stages each
    line once."""
    rows = [
        HeldDecision(
            batch_id=batch_id,
            state=(
                HeldDecisionState.DISCARDED
                if state == EvaluationBatchState.DISCARDED
                else HeldDecisionState.STAGED
            ),
            **item,
        )
        for item in items
    ]
    HeldDecision.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _held(batch: EvaluationBatch, *, or_failed: bool = False) -> EvaluationBatch:
    batch = EvaluationBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state == EvaluationBatchState.FAILED and or_failed:
        return batch
    if batch.state != EvaluationBatchState.HELD:
        raise ValidationError(_("Only a held batch can be released or discarded."))
    return batch


@transaction.atomic
def evaluation_batch_release(
    *, batch: EvaluationBatch, actor, note: str = "", now: datetime | None = None
) -> int:
    """A supervisor releases a held batch: its staged decisions apply (in chunks, after
    commit) and their notices go; key customers among them go to review. Recorded."""
    batch = _held(batch)
    batch.state = EvaluationBatchState.RELEASED
    batch.reviewed_by, batch.reviewed_at, batch.review_note = actor, now or timezone.now(), note
    batch.save()
    batch_id = batch.pk
    transaction.on_commit(lambda: _queue_apply(batch_id))
    return batch.held_decisions.filter(state=HeldDecisionState.STAGED).count()


@transaction.atomic
def evaluation_batch_discard(
    *, batch: EvaluationBatch, actor, note: str = "", now: datetime | None = None
) -> int:
    """A supervisor discards a held (or failed) batch: no line changes, nobody is told; the staged
    decisions stay, marked discarded, as the record. Recorded. The batch of a newly activated
    version also puts back the version it replaced (audited), unless another was activated
    since: what was discarded must not decide the next nightly run."""
    from .rule_versions import version_reinstate_after_discard  # activation starts batches

    batch = _held(batch, or_failed=True)  # a failed batch applied nothing either
    batch.state = EvaluationBatchState.DISCARDED
    batch.reviewed_by, batch.reviewed_at, batch.review_note = actor, now or timezone.now(), note
    batch.save()
    for version, replaced in (
        (batch.scorecard, batch.replaced_scorecard),
        (batch.policy, batch.replaced_policy),
    ):
        if version is not None:
            version_reinstate_after_discard(
                version=version, replaced=replaced, actor=actor, batch=batch
            )
    waiting_lines_look_again(batch=batch)  # under the version put back
    return batch.held_decisions.filter(state=HeldDecisionState.STAGED).update(
        state=HeldDecisionState.DISCARDED
    )


def _queue_apply(batch_id: int) -> None:
    from ..tasks import apply_released_batch  # tasks import the services: a real cycle

    queue_safely(apply_released_batch, batch_id)


@transaction.atomic
def evaluation_batch_apply_chunk(
    *, batch_id: int, size: int = RELEASE_CHUNK_SIZE, now: datetime | None = None
) -> int:
    """Apply the next staged decisions of a released batch, in one transaction (a lost
    worker loses nothing: what is not applied stays staged). Returns how many were handled."""
    now = now or timezone.now()
    if not EvaluationBatch.objects.filter(pk=batch_id, state__in=APPLYING_STATES).exists():
        return 0
    staged = list(
        HeldDecision.objects.select_for_update(skip_locked=True)
        .filter(batch_id=batch_id, state=HeldDecisionState.STAGED)
        .order_by("id")[:size]
    )
    if not staged:
        return 0
    to_review = [s for s in staged if s.review_first]
    to_apply = [s for s in staged if not s.review_first]
    applied = _apply_staged(to_apply, now=now, notice_mode=NOTICES_DEFERRED)
    for item in to_apply:
        item.decision = applied[item.pk]
        item.state = HeldDecisionState.APPLIED if item.decision else HeldDecisionState.STALE
    if to_review:
        lines = {
            line.pk: line
            for line in CreditLine.objects.select_for_update(of=("self",)).filter(
                pk__in=[s.line_id for s in to_review]
            )
        }
        fresh = [s for s in to_review if not _stale(lines[s.line_id], s)]
        reviews_stage([_review_fields(s, now) for s in fresh], now=now)
        for item in to_review:
            item.state = HeldDecisionState.REVIEW if item in fresh else HeldDecisionState.STALE
    HeldDecision.objects.bulk_update(staged, ["state", "decision"])
    return len(staged)


def _review_fields(held: HeldDecision, now: datetime) -> dict:
    fields = {name: getattr(held, name) for name in STAGED_FIELDS}
    fields["staged_at"] = now
    return fields


def evaluation_batch_apply(*, batch_id: int) -> bool:
    """Apply a released (or within-band) batch's staged decisions chunk after chunk for a
    while; True when done (then the batch is marked completed), False when handed over to a
    new task."""
    done = run_for(
        lambda: evaluation_batch_apply_chunk(batch_id=batch_id),
        lambda: _queue_apply(batch_id),
    )
    if done:
        _complete_if_applied(batch_id)
    return done


@transaction.atomic
def _complete_if_applied(batch_id: int) -> None:
    """Mark the batch completed when nothing is left staged. The batch row is locked first:
    a late chunk staging into it (which holds that lock) commits before this looks."""
    batch = (
        EvaluationBatch.objects.select_for_update()
        .filter(pk=batch_id, state__in=APPLYING_STATES)
        .first()
    )
    if batch is None:
        return
    if batch.held_decisions.filter(state=HeldDecisionState.STAGED).exists():
        transaction.on_commit(lambda: _queue_apply(batch_id))
        return
    batch.state = EvaluationBatchState.COMPLETED
    batch.save(update_fields=["state"])
    waiting_lines_look_again(batch=batch)


def evaluation_batches_resume_released() -> int:
    """Released or within-band batches with decisions still staged (their worker was lost)
    carry on."""
    ids = list(
        EvaluationBatch.objects.filter(
            state__in=APPLYING_STATES,
            held_decisions__state=HeldDecisionState.STAGED,
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    for batch_id in ids:
        _queue_apply(batch_id)
    return len(ids)


# --- What a supervisor sees of a held batch --------------------------------------------------


def held_batch_summary(batch: EvaluationBatch) -> dict:
    """What the batch would change: counts by outcome and segment, and by reason code."""
    staged = HeldDecision.objects.filter(batch=batch)
    by_segment = list(
        staged.values("outcome", "segment").annotate(lines=Count("id")).order_by("-lines")
    )
    by_reason: dict[str, int] = {}
    for reasons in staged.values_list("reasons", flat=True).iterator(chunk_size=2000):
        for code in {r[0] for r in reasons}:
            by_reason[code] = by_reason.get(code, 0) + 1
    return {
        "by_segment": by_segment,
        "by_reason": sorted(by_reason.items(), key=lambda item: (-item[1], item[0])),
        "adverse": staged.filter(outcome__in=ADVERSE_OUTCOMES).count(),
        "lines": staged.count(),
    }
