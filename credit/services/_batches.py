"""What campaigns and corrections share as chunked, resumable runs: a task that runs chunk
after chunk for a while and then hands over, and the latest decision of each line. Internals
of the services package."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery

from ..models import CreditDecision, CreditLine

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 500
DEFAULT_TASK_SECONDS = 30
DEFAULT_STALL_SECONDS = 120


def batch_chunk_size() -> int:
    """Lines per chunk: CREDIT_CAMPAIGN_CHUNK_SIZE (500 by default)."""
    return int(getattr(settings, "CREDIT_CAMPAIGN_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))


def stall_seconds() -> int:
    return int(getattr(settings, "CREDIT_CAMPAIGN_STALL_SECONDS", DEFAULT_STALL_SECONDS))


def run_for(step: Callable[[], int], hand_over: Callable[[], None], seconds=None) -> bool:
    """Call `step` (one committed chunk; 0 when nothing is left) for up to `seconds`
    (CREDIT_CAMPAIGN_TASK_SECONDS). True when done; False when time ran out and the run was
    handed over to a new task (so a task stays short and eager mode never recurses)."""
    if seconds is None:
        seconds = float(getattr(settings, "CREDIT_CAMPAIGN_TASK_SECONDS", DEFAULT_TASK_SECONDS))
    deadline = time.monotonic() + seconds
    while step():
        if time.monotonic() >= deadline:
            hand_over()
            return False
    return True


def queue_safely(task, *args) -> None:
    """Queue a task; when the broker is down, log it: the stalled-run sweep resumes the run."""
    try:
        task.delay(*args)
    except Exception:
        logger.warning("Could not queue %s%s; the sweep resumes it", task.name, args, exc_info=True)


def latest_decision_ids(line_ids: Iterable[int]) -> dict[int, int]:
    """The id of each line's latest decision, in one query."""
    latest = (
        CreditDecision.objects.filter(line_id=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("id")[:1]
    )
    return dict(
        CreditLine.objects.filter(pk__in=list(line_ids))
        .annotate(last_id=Subquery(latest))
        .values_list("pk", "last_id")
    )


def insert_rows_from(model, constants: dict, columns: dict[str, str], source: QuerySet) -> None:
    """INSERT INTO model's table one row per row of `source` in a single statement (a million
    lines are recorded without a Python object each): `constants` are bound values, `columns`
    maps each target column to a column of the source."""
    sql, params = source.order_by().values(*columns.values()).query.sql_with_params()
    targets = [*constants, *columns]
    picked = ", ".join(["%s"] * len(constants) + [f"src.{c}" for c in columns.values()])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(targets)}) "  # noqa: S608 - names from the model, values bound
            f"SELECT {picked} FROM ({sql}) src",
            [*constants.values(), *params],
        )


def mark_entries(
    entries,
    decided_line_ids,
    *,
    field: str,
    done: str,
    untouched: str,
    trigger: str,
    now,
) -> None:
    """Mark a chunk's entries (rows of a campaign or a correction, each with a `line_id`):
    those whose line got a decision in this chunk `done`, with `field` pointing at it; the
    others `untouched`. Two UPDATE statements, however big the chunk: the decision is the one
    this chunk wrote on the (still locked) line at `now` with `trigger`."""
    if not entries:
        return
    model = type(entries[0])
    decided = {e.pk for e in entries if e.line_id in decided_line_ids}
    rest = [e.pk for e in entries if e.pk not in decided]
    if decided:
        written = (
            CreditDecision.objects.filter(
                line_id=OuterRef("line_id"), trigger=trigger, created_at=now
            )
            .order_by("-id")
            .values("id")[:1]
        )
        model.objects.filter(pk__in=decided).update(
            state=done, **{f"{field}_id": Subquery(written)}
        )
    if rest:
        model.objects.filter(pk__in=rest).update(state=untouched)


def save_draft(run, *, actor, clean: Callable, started_message: str):
    """Save a new or edited draft of a run (the caller's transaction); once started, never."""
    model = type(run)
    if run.pk:
        if model.objects.select_for_update().get(pk=run.pk).state != "draft":
            raise ValidationError(started_message)
    else:
        run.created_by = actor
    run.state = "draft"
    clean(run)
    run.save()
    return run


def resume(model, pk: int, queue: Callable[[int], None]) -> bool:
    """Queue the next chunk of a run that is in progress (after a crash)."""
    if not model.objects.filter(pk=pk, state__in=model.IN_PROGRESS).exists():
        return False
    queue(pk)
    return True


def resume_stalled(
    model,
    queue: Callable[[int], None],
    *,
    now: datetime,
    fail: Callable[[int, str, datetime], bool] | None = None,
) -> int:
    """Runs in progress with no progress for a while lost their worker: resume each.

    With `fail`: a run that made no progress for longer than a chunk may live, though resumed
    meanwhile, fails instead (its chunk is killed at the hard time limit each time, so it
    would be resumed for ever and nobody told); see `batch_failures.chunk_silence_seconds`."""
    from .batch_failures import chunk_silence_seconds  # it imports this module

    stalled = list(
        model.objects.filter(
            Q(last_progress_at__lt=now - timedelta(seconds=stall_seconds()))
            | Q(last_progress_at__isnull=True),
            state__in=model.IN_PROGRESS,
        ).values_list("pk", "last_progress_at")
    )
    silence = chunk_silence_seconds()
    for pk, last in stalled:
        if fail is not None and last is not None and last < now - timedelta(seconds=silence):
            fail(
                pk,
                f"TimeLimitExceeded: no progress for over {silence} s, though resumed "
                "(its chunk is killed at the hard time limit, or never runs)",
                now,
            )
        else:
            queue(pk)
    return len(stalled)
