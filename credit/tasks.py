"""Thin Celery tasks: ids in, one service call, safe to run twice."""

import inspect
import logging

from celery import Task, shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError, transaction
from django.utils import timezone

from . import fanout, services

logger = logging.getLogger(__name__)


class ChunkTask(Task):
    """A chunk of a batch or campaign. When it fails for good (its retries spent, or an error
    not worth retrying), `chunk_failed(arguments, error)` marks its run failed and tells the
    supervisors; otherwise the run would wait for the chunk for ever, and nobody would know.
    A lost worker is not a failure: the broker hands the chunk to another worker."""

    abstract = True

    def chunk_failed(self, arguments: dict, error: str) -> None:
        raise NotImplementedError

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        try:
            arguments = inspect.signature(self.run).bind(*args, **kwargs).arguments
            self.chunk_failed(dict(arguments), services.error_text(exc))
        except Exception:  # the database may be what failed: the log has both errors
            logger.exception("Could not record the failure of %s%s", self.name, args)


class BatchChunkTask(ChunkTask):
    abstract = True

    def chunk_failed(self, arguments: dict, error: str) -> None:
        if arguments.get("batch_id") is None:
            return  # a staff request's chunk: nothing waits for it
        services.evaluation_batch_chunk_failed(
            batch_id=arguments["batch_id"],
            line_ids=arguments["line_ids"],
            task_args=[
                arguments["line_ids"],
                arguments["trigger"],
                arguments.get("actor_id"),
                arguments["batch_id"],
                *([True] if arguments.get("incremental") else []),
            ],
            error=error,
        )


class CampaignChunkTask(ChunkTask):
    abstract = True

    def chunk_failed(self, arguments: dict, error: str) -> None:
        services.campaign_chunk_failed(campaign_id=arguments["campaign_id"], error=error)


class CorrectionChunkTask(ChunkTask):
    abstract = True

    def chunk_failed(self, arguments: dict, error: str) -> None:
        services.correction_chunk_failed(correction_id=arguments["correction_id"], error=error)


class ShadowChunkTask(ChunkTask):
    abstract = True

    def chunk_failed(self, arguments: dict, error: str) -> None:
        services.shadow_run_chunk_failed(run_id=arguments["run_id"], error=error)


@shared_task(
    name="credit.reevaluate_line",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def reevaluate_line(line_id: int, trigger: str) -> dict:
    """The debounced evaluation of one line (requests now schedule `reevaluate_debounced`
    per chunk; this runs messages queued before). Releases the line's pending key first."""
    services.reevaluation_release(line_id=line_id)
    summary = services.credit_lines_reevaluate(
        line_ids=[line_id], trigger=trigger, keep_decisions=False
    )
    return {"evaluated": summary.evaluated, "changed": summary.changed}


@shared_task(
    name="credit.reevaluate_debounced",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def reevaluate_debounced(line_ids: list[int], trigger: str) -> dict:
    """The debounced evaluation of a chunk of lines, evaluated and written in bulk. Releases
    the lines' pending keys first, so an event that arrives during the evaluation schedules
    the next one."""
    services.reevaluation_release(line_ids=line_ids)
    summary = services.credit_lines_reevaluate(
        line_ids=line_ids, trigger=trigger, keep_decisions=False
    )
    return {"evaluated": summary.evaluated, "changed": summary.changed}


@shared_task(name="credit.request_reevaluation")
def request_reevaluation(line_ids: list[int], trigger: str) -> None:
    """A re-evaluation request queued with the act that asked for it (debounced per line)."""
    services.reevaluation_schedule(line_ids=line_ids, trigger=trigger)


@shared_task(
    name="credit.reevaluate_lines",
    base=BatchChunkTask,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def reevaluate_lines(
    line_ids: list[int],
    trigger: str,
    actor_id: int | None = None,
    batch_id: int | None = None,
    incremental: bool = False,
) -> dict:
    """One chunk of a fan-out (nightly run, staff request): evaluated and written in bulk.
    A chunk of a batch (`batch_id`) passes the circuit breaker first, and is staged if the
    batch is held. `incremental` (the nightly pass) scores only the chunk's lines whose look
    has come, from their kept facts."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    summary = services.credit_lines_reevaluate(
        line_ids=line_ids,
        trigger=trigger,
        actor=actor,
        keep_decisions=False,
        notice_mode=services.NOTICES_DEFERRED,
        batch_id=batch_id,
        incremental=incremental,
    )
    return {"evaluated": summary.evaluated, "changed": summary.changed}


@shared_task(name="credit.reevaluate_all_lines")
def reevaluate_all_lines() -> int:
    """Nightly: fan every line out to the workers in chunks of ids, as one batch watched by
    the circuit breaker. Returns the chunk count.

    The batch and its chunks are queued work (`jobs`) written in one transaction: a worker
    killed during the fan-out leaves all of them or none, and a broker error loses none (the
    relay hands them over). Each chunk is acknowledged only when done, so a chunk whose worker
    was killed is handed to another; evaluating a line twice writes nothing the second time.

    The pass is incremental: the lines whose look has come (new events, a feature changing
    that day, a line changed since, other rules) are selected once and only they are chunked,
    each scored from the facts kept at ingestion; every other line counts as evaluated and
    unchanged, so the breaker sees the batch as before. `manage.py reevaluate --all
    --from-events` recomputes from the events.

    While a new version's activation batch has not settled, the night is skipped (returns 0):
    that batch re-evaluates every line under the breaker (`activation_guard`).
    """
    if services.nightly_waits_for_activation_batch() is not None:
        return 0
    size = fanout.chunk_size()
    with transaction.atomic():
        batch = services.evaluation_batch_queue(
            kind="nightly",
            name=f"Nightly re-evaluation {timezone.localdate():%Y-%m-%d}",
            trigger="periodic",
            chunk_size=size,
            incremental=True,
        )
    return batch.chunks_queued


@shared_task(
    name="credit.close_due_lines",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def close_due_lines() -> dict:
    """Close the lines whose notice period has ended (held and cleared lines stay), then make
    the reductions and pauses whose notice period has ended (the same holds apply)."""
    summary = services.credit_lines_close_due()
    changes = services.credit_lines_apply_scheduled_due()
    return {
        "closed": summary.closed,
        "held": summary.held,
        "cleared": summary.cleared,
        "changed": changes.applied,
        "changes_held": changes.held,
        "changes_cleared": changes.cleared,
    }


@shared_task(
    name="credit.recheck_due_lines",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def recheck_due_lines() -> dict:
    """Re-evaluate the lines whose decision said they would pass again by time alone today
    (each once); the borrower is told by the decision's notice when the outcome changed."""
    summary = services.rechecks_run_due()
    return {"ran": summary.ran, "changed": summary.changed}


@shared_task(
    name="credit.send_decision_notices",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_decision_notices(decision_ids: list[int]) -> int:
    """Notices of a batch's decisions, rendered here rather than in the batch transaction."""
    return services.decision_notices_send(decision_ids=decision_ids)


@shared_task(name="credit.send_missing_notices")
def send_missing_notices() -> int:
    """Hourly: any recent decision whose notice task was lost gets its notice now."""
    return services.decision_notices_sweep()


@shared_task(
    name="credit.run_campaign_chunk",
    base=CampaignChunkTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_campaign_chunk(campaign_id: int) -> bool:
    """Chunks of a policy campaign (or of its lifting) for a while; then queues the next task.
    A chunk commits its lines with their decisions and notices, so a lost task loses none."""
    return services.campaign_run_for(campaign_id=campaign_id)


@shared_task(
    name="credit.run_correction_chunk",
    base=CorrectionChunkTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_correction_chunk(correction_id: int) -> bool:
    """Chunks of a system-error correction for a while; then queues the next task."""
    return services.correction_run_for(correction_id=correction_id)


@shared_task(
    name="credit.run_shadow_chunk",
    base=ShadowChunkTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_shadow_chunk(run_id: int) -> bool:
    """Chunks of a shadow run for a while; then queues the next task."""
    return services.shadow_run_for(run_id=run_id)


@shared_task(
    name="credit.apply_released_batch",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def apply_released_batch(batch_id: int) -> bool:
    """The staged decisions of a batch a supervisor released, chunk after chunk for a while;
    then queues the next task. What is not applied stays staged, so a lost task loses none."""
    return services.evaluation_batch_apply(batch_id=batch_id)


@shared_task(name="credit.resume_stalled_campaigns")
def resume_stalled_campaigns() -> int:
    """Every few minutes: campaigns, corrections, shadow runs and released batches whose
    worker was lost carry on; a running batch's chunks silent for longer than a chunk may
    live (killed at the hard time limit) fail, and supervisors are told."""
    return (
        services.silent_chunks_fail()
        + services.campaigns_resume_stalled()
        + services.corrections_resume_stalled()
        + services.shadow_runs_resume_stalled()
        + services.evaluation_batches_resume_released()
    )


@shared_task(name="credit.monitor_yesterday")
def monitor_yesterday() -> int:
    """Daily: yesterday's monitoring figures per version and segment, and their alerts."""
    return services.monitoring_yesterday()


@shared_task(name="credit.lift_ended_campaigns")
def lift_ended_campaigns() -> int:
    """Daily: temporary pauses whose end date has come are lifted."""
    return services.campaigns_lift_ended()


@shared_task(
    name="credit.send_risk_tips",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_risk_tips() -> dict:
    """This period's risk tip to borrowers who turned tips on (once per period; quiet hours
    wait for a later run). Safe to run twice: the second run finds no one due."""
    summary = services.risk_tips_send()
    return {
        "period": summary.period.isoformat(),
        "topic": summary.topic,
        "sent": summary.sent,
        "waiting_quiet_hours": summary.waiting_quiet_hours,
    }
