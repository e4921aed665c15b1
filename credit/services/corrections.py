"""System-error corrections: choose the erroneous decisions, preview, run in chunks.

Each affected line is put back where it was before its first erroneous decision (when
nothing decided it since), with a decision triggered by the correction and one apology
(`credit.system_error_corrected`); every chosen decision stays, immutable, and gets a
`CorrectedDecision` row pointing at the correction. A chunk writes all of a line's rows in
one transaction, so a resumed or repeated run never restores twice; apologies are sent after
commit like every batch's notices (one per decision, the hourly sweep catching a lost task).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audited
from ..engine import campaigns as campaign_rules
from ..models import (
    ADVERSE_OUTCOMES,
    CorrectedDecision,
    CorrectionLineState,
    CorrectionState,
    CreditDecision,
    CreditLine,
    DecisionTrigger,
    SystemCorrection,
)
from ._batches import (
    batch_chunk_size,
    insert_rows_from,
    latest_decision_ids,
    mark_entries,
    queue_safely,
    resume,
    resume_stalled,
    run_for,
    save_draft,
)
from ._writes import NOTICES_DEFERRED, _apply_plan, _write_decisions

APOLOGY_REASON = "system_error"


def correction_clean(correction: SystemCorrection) -> None:
    """A window that ends after it starts, a known trigger, and at least one narrowing choice
    besides the window (a correction never undoes every decision of a period by accident)."""
    errors = {}
    window = (correction.decided_from, correction.decided_to)
    if all(window) and window[1] <= window[0]:
        errors["decided_to"] = _("The window must end after it starts.")
    if correction.trigger and correction.trigger not in DecisionTrigger.values:
        errors["trigger"] = _("Unknown trigger.")
    narrowing = (
        correction.scorecard_id,
        correction.policy_id,
        correction.trigger,
        correction.reason_code_id,
        correction.event_source,
    )
    if not any(narrowing):
        errors["__all__"] = _(
            "Choose a scorecard or policy version, a trigger, a reason or a source of events: "
            "the time window alone is too wide."
        )
    if errors:
        raise ValidationError(errors)
    correction.full_clean(exclude=["created_by"])


@transaction.atomic
def correction_save_draft(*, correction: SystemCorrection, actor) -> SystemCorrection:
    """Save a new or edited draft; a started correction can no longer change."""
    return save_draft(
        correction,
        actor=actor,
        clean=correction_clean,
        started_message=_("A correction that has started can no longer be edited."),
    )


def correction_decisions(correction: SystemCorrection):
    """The adverse decisions the correction's choices select that no correction undid yet."""
    decisions = CreditDecision.objects.filter(
        created_at__gte=correction.decided_from,
        created_at__lt=correction.decided_to,
        outcome__in=ADVERSE_OUTCOMES,
        correction_entry__isnull=True,
    )
    if correction.scorecard_id:
        decisions = decisions.filter(scorecard_id=correction.scorecard_id)
    if correction.policy_id:
        decisions = decisions.filter(policy_id=correction.policy_id)
    if correction.trigger:
        decisions = decisions.filter(trigger=correction.trigger)
    if correction.reason_code_id:
        decisions = decisions.filter(reasons__reason_code_id=correction.reason_code_id)
    if correction.event_source:
        decisions = decisions.filter(
            Q(line__events__source=correction.event_source)
            & Q(line__events__received_at__gte=correction.decided_from)
            & Q(line__events__received_at__lt=correction.decided_to)
        )
    return decisions.distinct()


@transaction.atomic
def correction_start(*, correction: SystemCorrection, actor, now: datetime | None = None) -> int:
    """Record every selected decision as to be corrected, then queue the run. Returns the
    number of lines affected."""
    now = now or timezone.now()
    correction = SystemCorrection.objects.select_for_update().get(pk=correction.pk)
    if correction.state != CorrectionState.DRAFT:
        raise ValidationError(_("This correction has already started."))
    correction_clean(correction)
    selected = CreditDecision.objects.filter(pk__in=correction_decisions(correction).values("pk"))
    insert_rows_from(
        CorrectedDecision,
        {"correction_id": correction.pk, "state": CorrectionLineState.PENDING},
        {"decision_id": "id", "line_id": "line_id"},
        selected,
    )
    correction.lines_total = (
        CorrectedDecision.objects.filter(correction=correction).values("line").distinct().count()
    )
    correction.lines_done = 0
    correction.state = CorrectionState.RUNNING
    correction.started_at = correction.last_progress_at = now
    correction.save()
    audited.run_act(
        audited.CORRECTION, correction, "start", actor=actor, lines=correction.lines_total
    )
    transaction.on_commit(lambda: _queue(correction.pk))
    return correction.lines_total


@transaction.atomic
def correction_run_chunk(*, correction_id: int, now: datetime | None = None) -> int:
    """Restore the next chunk of affected lines; 0 when nothing is left (then completed)."""
    now = now or timezone.now()
    correction = SystemCorrection.objects.select_for_update().filter(pk=correction_id).first()
    if correction is None or not correction.in_progress:
        return 0
    line_ids = list(
        CorrectedDecision.objects.filter(correction=correction, state=CorrectionLineState.PENDING)
        .order_by("line_id")
        .values_list("line_id", flat=True)
        .distinct()[: batch_chunk_size()]
    )
    if not line_ids:
        correction.state = CorrectionState.COMPLETED
        correction.finished_at = correction.last_progress_at = now
        correction.save()
        return 0
    entries = defaultdict(list)
    for entry in (
        CorrectedDecision.objects.filter(
            correction=correction, line_id__in=line_ids, state=CorrectionLineState.PENDING
        )
        .select_related("decision")
        .order_by("decision__created_at", "decision_id")
    ):
        entries[entry.line_id].append(entry)
    lines = CreditLine.objects.select_for_update(of=("self",)).in_bulk(line_ids)
    latest = latest_decision_ids(line_ids)
    rows = []
    for line_id in line_ids:
        line, chosen = lines[line_id], entries[line_id]
        if latest.get(line_id) not in {e.decision_id for e in chosen}:
            continue  # decided since (an appeal, a person): left for a person to look at
        first = chosen[0].decision
        plan = campaign_rules.restore_plan(
            old_status=first.old_status,
            old_limit=first.old_limit,
            status=line.status,
            credit_limit=line.credit_limit,
        )
        if plan is None:
            continue
        decision = _apply_plan(line, plan, now=now)
        decision.trigger = DecisionTrigger.CORRECTION
        decision.actor = correction.created_by
        decision.note = f"System error correction: {correction.name}"
        rows.append((line, decision, [(APOLOGY_REASON, "", 0, False)]))
    if rows:
        _write_decisions(rows, notice_mode=NOTICES_DEFERRED)
    mark_entries(
        [entry for line_id in line_ids for entry in entries[line_id]],
        {line.pk for line, _, _ in rows},
        field="restore_decision",
        done=CorrectionLineState.RESTORED,
        untouched=CorrectionLineState.KEPT,
        trigger=DecisionTrigger.CORRECTION,
        now=now,
    )
    correction.lines_done += len(line_ids)
    correction.last_progress_at = now
    correction.save(update_fields=["lines_done", "last_progress_at"])
    return len(line_ids)


def correction_run_for(*, correction_id: int, seconds: float | None = None) -> bool:
    """Chunks of the correction for a while (see `_batches.run_for`); True when it is done."""
    return run_for(
        lambda: correction_run_chunk(correction_id=correction_id),
        lambda: _queue(correction_id),
        seconds,
    )


def correction_resume(*, correction: SystemCorrection) -> bool:
    """Queue the next chunk of a running correction (after a crash)."""
    return resume(SystemCorrection, correction.pk, _queue)


def corrections_resume_stalled(*, now: datetime | None = None) -> int:
    """A running correction with no progress for a while lost its worker; resume it (or,
    silent for longer than a chunk may live though resumed, it fails)."""
    from .batch_failures import correction_chunk_failed

    return resume_stalled(
        SystemCorrection,
        _queue,
        now=now or timezone.now(),
        fail=lambda pk, error, at: correction_chunk_failed(correction_id=pk, error=error, now=at),
    )


def _queue(correction_id: int) -> None:
    from ..tasks import run_correction_chunk  # tasks import the services: a real cycle

    queue_safely(run_correction_chunk, correction_id)
