"""Per-line evaluations wait while a newly activated version's batch has not settled.

A new scorecard or policy version re-evaluates every line as one batch behind the circuit
breaker (`staging.evaluation_batch_after_activation`). Until that batch is completed or
discarded, the version is unguarded: a line evaluated on its own meanwhile (its new events,
an appeal, a staff request, a recheck, the re-evaluation before a closure takes effect)
would be decided by it at once, and its borrower told, while the breaker may be holding the
same decision for every other line.

The rule: while the batch of the active version is running, failed, held, released or
applying, a per-line evaluation applies nothing of it (no decision, no review staged, nobody
told). The line is recorded as waiting (`BatchWaitingLine`) and evaluated again once the batch
settles: released and applied, under the version now checked; discarded, under the version
put back. The events that asked for the evaluation are stored as always, so nothing sent is
lost: it is read when the line is looked at again.

The nightly batch does not start at all meanwhile (`nightly_waits_for_activation_batch`): its
chunks carry their own batch, so they would evaluate every line under the unchecked version
and apply it if that batch alone fell within the breaker's band. The activation batch covers
every line anyway.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from ..models import (
    BatchWaitingLine,
    DecisionPolicy,
    EvaluationBatch,
    EvaluationBatchKind,
    EvaluationBatchState,
    Scorecard,
    VersionStatus,
)

logger = logging.getLogger(__name__)

UNSETTLED_STATES = (
    EvaluationBatchState.RUNNING,
    EvaluationBatchState.FAILED,
    EvaluationBatchState.HELD,
    EvaluationBatchState.RELEASED,
    EvaluationBatchState.APPLYING,
)


def unsettled_activation_batch_id(*, scorecard_id: int | None, policy_id: int | None) -> int | None:
    """The batch of the active scorecard or policy, while it has not settled (else None)."""
    versions = Q(pk__in=[])
    if scorecard_id is not None:
        versions |= Q(scorecard_id=scorecard_id)
    if policy_id is not None:
        versions |= Q(policy_id=policy_id)
    return (
        EvaluationBatch.objects.filter(
            kind=EvaluationBatchKind.ACTIVATION, state__in=UNSETTLED_STATES
        )
        .filter(versions)
        .order_by("-started_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


def batch_holding_the_night() -> int | None:
    """The unsettled activation batch of the active scorecard or policy, if any."""
    return unsettled_activation_batch_id(
        scorecard_id=_active_pk(Scorecard), policy_id=_active_pk(DecisionPolicy)
    )


def nightly_waits_for_activation_batch() -> int | None:
    """The unsettled activation batch of the active scorecard or policy, if any: the nightly
    fan-out then does not start (logged). None: the night runs as usual."""
    batch_id = batch_holding_the_night()
    if batch_id is not None:
        logger.warning(
            "Nightly re-evaluation skipped: activation batch %s has not settled "
            "(it re-evaluates every line itself)",
            batch_id,
        )
    return batch_id


def _active_pk(model) -> int | None:
    return model.objects.filter(status=VersionStatus.ACTIVE).values_list("pk", flat=True).first()


def lines_wait_for_activation_batch(
    *, rules, line_ids: Sequence[int], trigger: str, now: datetime | None = None
) -> bool:
    """True when these lines are left to the unsettled batch of the active version (recorded
    as waiting, in the caller's transaction): the caller then evaluates nothing. False when
    no such batch is pending: evaluate as usual."""
    batch_id = unsettled_activation_batch_id(
        scorecard_id=rules.scorecard.pk, policy_id=rules.policy.pk
    )
    if batch_id is None:
        return False
    now = now or timezone.now()
    BatchWaitingLine.objects.bulk_create(
        [
            BatchWaitingLine(batch_id=batch_id, line_id=line_id, trigger=trigger, asked_at=now)
            for line_id in line_ids
        ],
        ignore_conflicts=True,  # a line asked for twice waits once
    )
    return True


def waiting_lines_look_again(*, batch: EvaluationBatch, now: datetime | None = None) -> int:
    """The batch settled (completed or discarded): every line that waited for it is evaluated
    again (queued with the caller's act, debounced per line), each with the trigger that asked
    first. Returns how many lines."""
    from .reevaluation import reevaluation_request  # reevaluation calls this module

    now = now or timezone.now()
    waiting = BatchWaitingLine.objects.filter(batch=batch, looked_at__isnull=True)
    by_trigger: dict[str, list[int]] = defaultdict(list)
    for line_id, trigger in waiting.values_list("line_id", "trigger"):
        by_trigger[trigger].append(line_id)
    for trigger, line_ids in sorted(by_trigger.items()):
        reevaluation_request(line_ids=line_ids, trigger=trigger)
    waiting.update(looked_at=now)
    return sum(len(ids) for ids in by_trigger.values())
