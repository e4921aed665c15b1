"""Writing the audit trail: always inside the act's transaction, never on its own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from config.copy_values import copy_create

from . import registry
from .models import AuditEntry


class AuditOutsideTransaction(RuntimeError):
    """An entry must be written in the transaction of the act it records."""


@dataclass
class Audited:
    """One act to record (for `audit_record_many`)."""

    kind: str
    actor: Any = None
    obj: Any = None
    summary: str = ""
    details: dict = field(default_factory=dict)
    at: datetime | None = None
    label: str = ""  # the object as the trail names it (default: str(obj))


def _object_fields(obj, label: str) -> dict[str, str]:
    if obj is None:
        return {"object_type": "", "object_id": "", "object_label": label[:200]}
    meta = obj._meta
    return {
        "object_type": f"{meta.app_label}.{meta.model_name}",
        "object_id": str(obj.pk),
        "object_label": (label or str(obj))[:200],
    }


def _actor_fields(actor) -> dict[str, Any]:
    if actor is None or not getattr(actor, "pk", None):
        return {"actor": None, "actor_label": ""}
    # Staff are named; anyone else (a borrower) only by id: the trail holds no personal data.
    if getattr(actor, "is_staff", False):
        return {"actor": actor, "actor_label": f"{actor} #{actor.pk}"[:254]}
    return {"actor": actor, "actor_label": f"user #{actor.pk}"}


def _entry(act: Audited, now: datetime) -> AuditEntry:
    registry.get(act.kind)  # an unregistered kind fails the act
    return AuditEntry(
        at=act.at or now,
        kind=act.kind,
        summary=act.summary[:500],
        details=act.details,
        **_actor_fields(act.actor),
        **_object_fields(act.obj, act.label),
    )


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransaction(
            "audit_record is called inside the transaction of the act it records."
        )


def audit_record(
    *,
    kind: str,
    actor=None,
    obj=None,
    summary: str = "",
    details: dict | None = None,
    at: datetime | None = None,
    label: str = "",
) -> AuditEntry:
    """Record one act (`kind` registered by the acting app) in the caller's transaction."""
    _require_transaction()
    entry = _entry(
        Audited(kind, actor, obj, summary, details or {}, at, label),
        timezone.now(),
    )
    entry.save(force_insert=True)
    return entry


def audit_record_many(acts: Iterable[Audited]) -> list[AuditEntry]:
    """Record many acts with one INSERT (a batch of decisions), in the caller's transaction."""
    _require_transaction()
    now = timezone.now()
    entries = [_entry(act, now) for act in acts]
    # COPY on PostgreSQL: a batch of decisions writes an entry each.
    return copy_create(AuditEntry, entries) if entries else []
