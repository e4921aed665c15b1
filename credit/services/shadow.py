"""Shadow runs: a scorecard/policy version tried over every line beside the active ones,
nothing applied and nobody told. Chunked and resumable like a campaign (`_batches`): each chunk
writes its lines' rows and moves the run's cursor in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import engine, selectors
from ..engine import monitoring as monitoring_rules
from ..models import (
    CreditEvent,
    CreditLine,
    DecisionPolicy,
    Scorecard,
    ShadowLine,
    ShadowRun,
    ShadowState,
    VersionStatus,
)
from ._batches import batch_chunk_size, queue_safely, resume, resume_stalled, run_for, save_draft
from .monitoring import verdict_segment
from .rule_versions import policy_check, scorecard_check

NO_ACTIVE_OUTCOME = "none"  # a shadow run on a fresh install: nothing active to compare with


def shadow_clean(run: ShadowRun) -> None:
    """A shadow run tries a scorecard and a policy the engine can read."""
    errors = {}
    for field, check in (("scorecard", scorecard_check), ("policy", policy_check)):
        version = getattr(run, field, None) if getattr(run, f"{field}_id", None) else None
        if version is None:
            errors[field] = _("Pick a version to try.")
            continue
        try:
            check(version)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def shadow_save_draft(*, run: ShadowRun, actor) -> ShadowRun:
    """Save a new or edited draft shadow run; once started, never."""
    return save_draft(
        run,
        actor=actor,
        clean=shadow_clean,
        started_message=_("A shadow run that has started can no longer be edited."),
    )


def _active(model):
    return model.objects.filter(status=VersionStatus.ACTIVE).first()


@transaction.atomic
def shadow_start(*, run: ShadowRun, actor=None, now: datetime | None = None) -> int:
    """Start a draft shadow run over every line; the chunks run on the workers. Returns the
    number of lines to try."""
    now = now or timezone.now()
    run = ShadowRun.objects.select_for_update().get(pk=run.pk)
    if run.state != ShadowState.DRAFT:
        raise ValidationError(_("This shadow run has already started."))
    shadow_clean(run)
    run.baseline_scorecard = _active(Scorecard)
    run.baseline_policy = _active(DecisionPolicy)
    run.last_event_id = CreditEvent.objects.aggregate(m=Max("id"))["m"] or 0
    run.rules_digest = rules_digest(run.scorecard, run.policy)
    run.lines_total = CreditLine.objects.count()
    run.lines_done, run.last_line_id = 0, 0
    run.state = ShadowState.RUNNING
    run.started_at = run.last_progress_at = now
    run.save()
    transaction.on_commit(lambda: _queue_chunk(run.pk))
    return run.lines_total


@transaction.atomic
def shadow_run_chunk(*, run_id: int, now: datetime | None = None) -> int:
    """Try the next chunk of lines; returns how many (0 when done or no longer running)."""
    now = now or timezone.now()
    run = (
        ShadowRun.objects.select_for_update(of=("self",))
        .select_related("scorecard", "policy", "baseline_scorecard", "baseline_policy")
        .filter(pk=run_id)
        .first()
    )
    if run is None or run.state != ShadowState.RUNNING:
        return 0
    ids = list(
        CreditLine.objects.filter(id__gt=run.last_line_id)
        .order_by("id")
        .values_list("id", flat=True)[: batch_chunk_size()]
    )
    if not ids:
        run.scores = _score_distribution(run)
        run.state = ShadowState.COMPLETED
        run.finished_at = run.last_progress_at = now
        run.save()
        return 0
    as_of = run.started_at or now
    tried = (selectors.policy_rules(run.policy), selectors.scorecard_rules(run.scorecard))
    baseline = None
    if run.baseline_scorecard_id and run.baseline_policy_id:
        baseline = (
            selectors.policy_rules(run.baseline_policy),
            selectors.scorecard_rules(run.baseline_scorecard),
        )
    rows = selectors.lines_for_evaluation(ids)
    events = selectors.events_by_line(ids, as_of=as_of)
    out = []
    for row in rows:
        facts = engine.facts_from_rows(
            row.id,
            row.opened_at,
            row.credit_limit,
            row.balance,
            events.get(row.id, ()),
            key_customer=row.key_customer,
        )
        features = engine.compute_features(facts, as_of=as_of)
        would = engine.decide(*tried, features)
        current = engine.decide(*baseline, features).outcome if baseline else NO_ACTIVE_OUTCOME
        out.append(
            ShadowLine(
                run=run,
                line_id=row.id,
                current=current,
                would=would.outcome,
                score=would.score,
                reason=would.reasons[0].code if would.reasons else "",
                segment=verdict_segment(would),
            )
        )
    ShadowLine.objects.bulk_create(out)
    run.lines_done += len(out)
    run.last_line_id = ids[-1]
    run.last_progress_at = now
    run.save(update_fields=["lines_done", "last_line_id", "last_progress_at"])
    return len(out)


def _score_distribution(run: ShadowRun) -> dict[str, dict[str, int]]:
    """Lines per score bin, per segment: what each segment's daily scores are compared with."""
    bins: dict[str, Counter] = {}
    for segment, score, n in (
        ShadowLine.objects.filter(run=run)
        .values("segment", "score")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("segment", "score", "n")
    ):
        bins.setdefault(segment, Counter())[monitoring_rules.score_bin(score)] += n
    return {segment: dict(counts) for segment, counts in bins.items()}


def shadow_run_for(*, run_id: int, seconds: float | None = None) -> bool:
    """Chunks of the run for a while (see `_batches.run_for`); True when it is done."""
    return run_for(lambda: shadow_run_chunk(run_id=run_id), lambda: _queue_chunk(run_id), seconds)


@transaction.atomic
def shadow_cancel(*, run: ShadowRun, actor=None) -> ShadowRun:
    """Stop a running or failed shadow run (what it tried so far stays readable)."""
    run = ShadowRun.objects.select_for_update().get(pk=run.pk)
    if run.state not in (ShadowState.RUNNING, ShadowState.FAILED):
        raise ValidationError(_("Only a running or failed shadow run can be cancelled."))
    run.state = ShadowState.CANCELLED
    run.finished_at = timezone.now()
    run.save()
    return run


def shadow_resume(*, run: ShadowRun) -> bool:
    """Queue the next chunk of a running shadow run (after a crash)."""
    return resume(ShadowRun, run.pk, _queue_chunk)


def shadow_runs_resume_stalled(*, now: datetime | None = None) -> int:
    """Every few minutes: a shadow run with no progress for a while lost its worker; resume
    it (or, silent for longer than a chunk may live though resumed, it fails)."""
    from .batch_failures import shadow_run_chunk_failed

    return resume_stalled(
        ShadowRun,
        _queue_chunk,
        now=now or timezone.now(),
        fail=lambda pk, error, at: shadow_run_chunk_failed(run_id=pk, error=error, now=at),
    )


def _queue_chunk(run_id: int) -> None:
    from ..tasks import run_shadow_chunk  # tasks import the services: a real cycle

    queue_safely(run_shadow_chunk, run_id)


# --- Is a version's shadow run there and up to date? ----------------------------------------


def rules_digest(scorecard: Scorecard, policy: DecisionPolicy) -> str:
    """A fingerprint of the rules of a scorecard and a policy (a draft may still change)."""
    rules = {"scorecard": scorecard.rule_values(), "policy": policy.rule_values()}
    text = json.dumps(rules, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


MISSING, STALE, CURRENT = "missing", "stale", "current"


@dataclass(frozen=True)
class ShadowFreshness:
    state: str  # missing | stale | current
    run: ShadowRun | None = None
    events_since: bool = False
    active_changed: bool = False
    rules_changed: bool = False

    @property
    def warns(self) -> bool:
        return self.state != CURRENT


def shadow_freshness(version: Scorecard | DecisionPolicy) -> ShadowFreshness:
    """The latest completed shadow run that tried this version, and whether the data moved on
    since (an event received after it read, another version active than it compared with, or
    the rules tried edited since)."""
    field = "scorecard" if isinstance(version, Scorecard) else "policy"
    run = (
        ShadowRun.objects.filter(state=ShadowState.COMPLETED, **{field: version})
        .select_related("scorecard", "policy")
        .order_by("-finished_at", "-id")
        .first()
    )
    if run is None:
        return ShadowFreshness(MISSING)
    events_since = CreditEvent.objects.filter(pk__gt=run.last_event_id).exists()
    active_card, active_policy = _active(Scorecard), _active(DecisionPolicy)
    active_changed = (getattr(active_card, "pk", None), getattr(active_policy, "pk", None)) != (
        run.baseline_scorecard_id,
        run.baseline_policy_id,
    )
    rules_changed = run.rules_digest != rules_digest(run.scorecard, run.policy)
    stale = events_since or active_changed or rules_changed
    return ShadowFreshness(
        STALE if stale else CURRENT, run, events_since, active_changed, rules_changed
    )
