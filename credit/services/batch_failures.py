"""A chunk of a batch that failed for good: its batch is marked failed, supervisors are told
(`staff.batch_failed`), and a supervisor retries it from the admin.

An evaluation batch (nightly, after an activation) waits for every chunk before the circuit
breaker decides: a chunk that never ran would leave it *running* for ever, and the breaker
must not decide on part of the batch. So the batch is marked *failed* with the chunk and its
error; the other chunks still stage their decisions, nothing applies and nobody is told until
the failed chunk runs and the breaker decides the whole batch as usual. A campaign applies
chunk by chunk: it stops where it was (the stalled-run sweep no longer restarts it in a loop)
until a supervisor retries it; a retry carries on from the first line still waiting.
System-error corrections and shadow runs are chunked the same way and stop the same way.

A retried chunk is the same chunk run again: a line is never decided or told twice (a batch
stages each line once and counts each chunk once; a campaign marks each line as it goes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import QueuedJob
from jobs.services import job_enqueue

from .. import audited, notices
from ..models import (
    CampaignLine,
    CampaignLineState,
    CampaignState,
    CorrectedDecision,
    CorrectionLineState,
    CorrectionState,
    EvaluationBatch,
    EvaluationBatchFailure,
    EvaluationBatchState,
    PolicyCampaign,
    ShadowRun,
    SystemCorrection,
)
from . import breaker
from ._batches import batch_chunk_size

logger = logging.getLogger(__name__)

ERROR_LENGTH = 2000
# A batch still waiting for its chunks: a chunk failing then stops it.
WAITING_STATES = (EvaluationBatchState.RUNNING, EvaluationBatchState.FAILED)


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]


def _tell(*, run, name: str | dict, chunk: str, error: str, link: str, now: datetime) -> None:
    """Every supervisor is told, once per failure (a retry that fails again tells again)."""
    for supervisor in breaker.supervisors():
        notices.send_batch_failed(
            recipient=supervisor,
            run=run,
            name=name,
            chunk=chunk,
            error=error,
            link=link,
            failed_at=now,
        )


def _chunk_words(first_line_id: int, lines: int) -> str:
    return f"#{first_line_id} (+{max(lines - 1, 0)})"


# --- Evaluation batches -------------------------------------------------------------------


@transaction.atomic
def evaluation_batch_chunk_failed(
    *,
    batch_id: int,
    line_ids: Sequence[int],
    task_args: list,
    error: str,
    now: datetime | None = None,
) -> bool:
    """A chunk of a batch failed for good: record it with its error and the arguments to run
    it again; a batch still waiting for its chunks is marked failed and supervisors are told.
    False when the failure changes nothing: the batch no longer waits for this chunk (it was
    counted already, e.g. a redelivered copy that failed, or the batch was decided)."""
    now = now or timezone.now()
    batch = EvaluationBatch.objects.select_for_update().filter(pk=batch_id).first()
    ids = sorted({int(i) for i in line_ids})
    first = ids[0] if ids else 0  # as `batch_chunk_gate` names the chunk
    if batch is None or batch.state not in WAITING_STATES:
        return False
    if batch.chunks.filter(first_line_id=first).exists():
        return False
    failure = EvaluationBatchFailure.objects.filter(batch=batch, first_line_id=first).first()
    if failure is None:
        failure = EvaluationBatchFailure(batch=batch, first_line_id=first, failures=0)
    failure.lines, failure.task_args, failure.error = len(ids), list(task_args), error
    failure.failures += 1
    failure.failed_at, failure.retried_at, failure.retried_by = now, None, None
    failure.resolved_at = None
    failure.save()
    batch.state, batch.failed_at = EvaluationBatchState.FAILED, now
    batch.save(update_fields=["state", "failed_at"])
    _tell(
        run=batch,
        name=batch.titles(),
        chunk=_chunk_words(first, len(ids)),
        error=error,
        link=reverse("admin:credit_evaluationbatch_change", args=[batch.pk]),
        now=now,
    )
    logger.error("Batch %s: chunk from line %s failed for good: %s", batch.pk, first, error)
    return True


def batch_failure_resolve(*, batch: EvaluationBatch, first_line_id: int, now: datetime) -> None:
    """A chunk was counted into its batch (the batch row is locked by the caller): its failure,
    if it had one, is resolved; a failed batch with no failure left waits for its chunks again
    (`staging.batch_chunk_gate` then lets the breaker decide once every chunk is in)."""
    resolved = EvaluationBatchFailure.objects.filter(
        batch=batch, first_line_id=first_line_id, resolved_at__isnull=True
    ).update(resolved_at=now)
    if (
        resolved
        and batch.state == EvaluationBatchState.FAILED
        and not batch.failures.filter(resolved_at__isnull=True).exists()
    ):
        batch.state = EvaluationBatchState.RUNNING


@transaction.atomic
def evaluation_batch_retry_failed(
    *, batch: EvaluationBatch, actor, now: datetime | None = None
) -> int:
    """A supervisor runs a failed batch's failed chunks again (queued with this act). The batch
    waits for them again (running); when they are in, the breaker decides the whole batch as
    usual. Recorded on each chunk (who, when), as a release or discard is on the batch.
    Returns how many chunks were queued."""
    now = now or timezone.now()
    batch = EvaluationBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != EvaluationBatchState.FAILED:
        raise ValidationError(_("Only a failed batch can be retried."))
    failures = list(batch.failures.filter(resolved_at__isnull=True))
    for failure in failures:
        job_enqueue(task="credit.reevaluate_lines", args=failure.task_args)
        failure.retried_at, failure.retried_by = now, actor
    EvaluationBatchFailure.objects.bulk_update(failures, ["retried_at", "retried_by"])
    batch.state, batch.last_progress_at = EvaluationBatchState.RUNNING, now
    batch.save(update_fields=["state", "last_progress_at"])
    return len(failures)


# --- A chunk killed by the hard time limit -----------------------------------------------
# The pool kills the chunk's process: `on_failure` never runs, and the message is acknowledged
# as failed, never handed over again. So the batch would wait for the chunk for ever. A batch
# none of whose chunks checked in for longer than any chunk may live (the hard time limit, or
# the broker's visibility timeout after which a lost worker's chunk is handed to another,
# whichever is longer) plus a margin has lost the chunks still missing: each fails as if its
# task had (`evaluation_batch_chunk_failed`). A chunk that ran after all is counted and never
# failed; one that runs after being failed resolves its failure (`batch_failure_resolve`).

DEFAULT_SILENCE_MARGIN = 300  # seconds


def chunk_silence_seconds() -> int:
    """How long a running batch may go without word from any chunk before its missing chunks
    count as failed."""
    longest = max(
        int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 0) or 0),
        int(getattr(settings, "CELERY_VISIBILITY_TIMEOUT", 0) or 0),
    )
    return longest + int(getattr(settings, "CREDIT_CHUNK_SILENCE_MARGIN", DEFAULT_SILENCE_MARGIN))


def silent_chunks_fail(*, now: datetime | None = None) -> int:
    """Every few minutes (with the stalled-run sweep): the missing chunks of running batches
    silent for too long fail, with supervisors told. Returns how many chunks failed."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=chunk_silence_seconds())
    silent = EvaluationBatch.objects.filter(
        Q(last_progress_at__lt=cutoff) | Q(last_progress_at__isnull=True, started_at__lt=cutoff),
        state=EvaluationBatchState.RUNNING,
    )
    failed = 0
    for batch in silent.only("pk", "started_at"):
        counted = set(batch.chunks.values_list("first_line_id", flat=True))
        chunks: dict[int, list] = {}
        for args in QueuedJob.objects.filter(
            task="credit.reevaluate_lines",
            args__3=batch.pk,
            published_at__gte=batch.started_at,
            published_at__lt=cutoff,
        ).values_list("args", flat=True):
            first = min(args[0], default=0)
            if first not in counted:
                chunks.setdefault(first, args)
        seconds = chunk_silence_seconds()
        for args in chunks.values():
            failed += evaluation_batch_chunk_failed(
                batch_id=batch.pk,
                line_ids=args[0],
                task_args=list(args),
                error=(
                    f"TimeLimitExceeded: no word from this chunk for over {seconds} s "
                    "(its process was killed at the hard time limit, or its worker was lost)"
                ),
                now=now,
            )
    return failed


# --- Campaigns ----------------------------------------------------------------------------


@transaction.atomic
def campaign_chunk_failed(*, campaign_id: int, error: str, now: datetime | None = None) -> bool:
    """A chunk of a campaign (or of its lifting) failed for good: the campaign stops where it
    was, marked failed with the first line still waiting and the error, and supervisors are
    told. Lines already done stay done. False when the campaign was not in progress."""
    now = now or timezone.now()
    campaign = PolicyCampaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None or campaign.state not in PolicyCampaign.IN_PROGRESS:
        return False
    todo = (
        CampaignLineState.APPLIED
        if campaign.state == CampaignState.LIFTING
        else CampaignLineState.PENDING
    )
    first = (
        CampaignLine.objects.filter(campaign=campaign, state=todo)
        .order_by("line_id")
        .values_list("line_id", flat=True)
        .first()
    )
    campaign.failed_state, campaign.state = campaign.state, CampaignState.FAILED
    campaign.failed_at, campaign.failed_first_line_id, campaign.error = now, first, error
    campaign.save()
    left = max(campaign.lines_total - campaign.lines_done, 1)
    _tell(
        run=campaign,
        name=campaign.name,
        chunk=_chunk_words(first or 0, min(batch_chunk_size(), left)),
        error=error,
        link=reverse("admin:credit_policycampaign_change", args=[campaign.pk]),
        now=now,
    )
    logger.error("Campaign %s failed at line %s: %s", campaign.pk, first, error)
    return True


@transaction.atomic
def campaign_retry(*, campaign: PolicyCampaign, actor, now: datetime | None = None) -> int:
    """A supervisor retries a failed campaign: it goes back to running (or lifting) and carries
    on from the first line still waiting. Recorded. Returns the lines still to do."""
    from .campaigns import _queue_chunk_on_commit  # campaigns queue their own chunks

    now = now or timezone.now()
    campaign = PolicyCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != CampaignState.FAILED:
        raise ValidationError(_("Only a failed campaign can be retried."))
    campaign.state = campaign.failed_state or CampaignState.RUNNING
    campaign.last_progress_at = now
    campaign.save()
    audited.run_act(audited.CAMPAIGN, campaign, "retry", actor=actor)
    _queue_chunk_on_commit(campaign.pk)
    return max(campaign.lines_total - campaign.lines_done, 0)


# --- Corrections and shadow runs ----------------------------------------------------------
# Chunked like a campaign: each chunk commits its lines and moves the run on, so a retry
# carries on from the first line still waiting and never restores or tries a line twice.


# Corrections and shadow runs share these state values ("running", "failed").


def _run_chunk_failed(model, *, run_id: int, first_line, error: str, now: datetime) -> bool:
    """A run in progress stops (failed, when and why) and supervisors are told. False when
    the run was not in progress (done, cancelled or failed already): nothing changes."""
    run = model.objects.select_for_update(of=("self",)).filter(pk=run_id).first()
    if run is None or run.state != "running":
        return False
    run.state, run.failed_at, run.error = "failed", now, error
    run.save(update_fields=["state", "failed_at", "error"])
    first = first_line(run)
    left = max(run.lines_total - run.lines_done, 1)
    _tell(
        run=run,
        name=run.name,
        chunk=_chunk_words(first or 0, min(batch_chunk_size(), left)),
        error=error,
        link=reverse(f"admin:credit_{model._meta.model_name}_change", args=[run.pk]),
        now=now,
    )
    logger.error("%s %s failed at line %s: %s", model.__name__, run.pk, first, error)
    return True


def _run_retry(model, *, run, queue, now: datetime):
    """A failed run goes back to running and its next chunk is queued with the act."""
    run = model.objects.select_for_update(of=("self",)).get(pk=run.pk)
    if run.state != "failed":
        raise ValidationError(_("Only a run that failed can be retried."))
    run.state, run.last_progress_at = "running", now
    run.save(update_fields=["state", "last_progress_at"])
    transaction.on_commit(lambda: queue(run.pk))
    return run


def _correction_first_line(correction: SystemCorrection) -> int | None:
    return (
        CorrectedDecision.objects.filter(correction=correction, state=CorrectionLineState.PENDING)
        .order_by("line_id")
        .values_list("line_id", flat=True)
        .first()
    )


def _shadow_first_line(run: ShadowRun) -> int | None:
    from ..models import CreditLine

    return (
        CreditLine.objects.filter(id__gt=run.last_line_id)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )


@transaction.atomic
def correction_chunk_failed(*, correction_id: int, error: str, now: datetime | None = None) -> bool:
    """A chunk of a system-error correction failed for good: it stops where it was (failed,
    with the error), supervisors are told, and the stalled-run sweep leaves it alone. Lines
    already restored stay restored."""
    return _run_chunk_failed(
        SystemCorrection,
        run_id=correction_id,
        first_line=_correction_first_line,
        error=error,
        now=now or timezone.now(),
    )


@transaction.atomic
def correction_retry(*, correction: SystemCorrection, actor, now: datetime | None = None) -> int:
    """A supervisor retries a failed correction: it carries on from the first line still
    waiting. Audited. Returns the lines still to do."""
    from .corrections import _queue

    correction = _run_retry(
        SystemCorrection, run=correction, queue=_queue, now=now or timezone.now()
    )
    audited.run_act(audited.CORRECTION, correction, "retry", actor=actor)
    return max(correction.lines_total - correction.lines_done, 0)


@transaction.atomic
def correction_cancel(*, correction: SystemCorrection, actor) -> SystemCorrection:
    """Stop a running or failed correction for good: lines restored so far stay restored (with
    their apology), the others are left as they are. Audited."""
    correction = SystemCorrection.objects.select_for_update().get(pk=correction.pk)
    if correction.state not in (CorrectionState.RUNNING, CorrectionState.FAILED):
        raise ValidationError(_("Only a running or failed correction can be cancelled."))
    correction.state = CorrectionState.CANCELLED
    correction.finished_at = timezone.now()
    correction.save(update_fields=["state", "finished_at"])
    audited.run_act(audited.CORRECTION, correction, "cancel", actor=actor)
    return correction


@transaction.atomic
def shadow_run_chunk_failed(*, run_id: int, error: str, now: datetime | None = None) -> bool:
    """A chunk of a shadow run failed for good: it stops where it was (failed, with the
    error), supervisors are told, and the stalled-run sweep leaves it alone."""
    return _run_chunk_failed(
        ShadowRun,
        run_id=run_id,
        first_line=_shadow_first_line,
        error=error,
        now=now or timezone.now(),
    )


@transaction.atomic
def shadow_run_retry(*, run: ShadowRun, actor=None, now: datetime | None = None) -> int:
    """A supervisor retries a failed shadow run: it carries on after the last line it tried.
    Returns the lines still to do."""
    from .shadow import _queue_chunk

    run = _run_retry(ShadowRun, run=run, queue=_queue_chunk, now=now or timezone.now())
    return max(run.lines_total - run.lines_done, 0)
