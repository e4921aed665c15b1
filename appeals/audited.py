"""The acts appeals records in the audit trail (see audit.registry), and how it words them.

Each is written next to the row the act already keeps (AppealTransition, AppealAssignment,
AppealExtension), in the same transaction. Free text the borrower or staff typed (comments,
reasons) stays on those rows, not in the trail: the trail says who did what to which appeal.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from audit.registry import AuditKind, register
from audit.services import audit_record

TRANSITION = register(AuditKind("appeal.transition", _("Appeal state changed")))
ASSIGNMENT = register(AuditKind("appeal.assignment", _("Appeal assigned")))
EXTENSION = register(AuditKind("appeal.extension", _("Appeal decision date extended")))


def transition(appeal, from_status: str, *, actor, at) -> None:
    audit_record(
        kind=TRANSITION.code,
        actor=actor,
        obj=appeal,
        at=at,
        summary=f"{from_status}→{appeal.status}",
        details={"from": from_status, "to": appeal.status, "line": appeal.line_id},
    )


def assignment(appeal, *, previous_id, to, actor, at) -> None:
    audit_record(
        kind=ASSIGNMENT.code,
        actor=actor,
        obj=appeal,
        at=at,
        summary=f"assignee #{previous_id or '—'} → {to} #{to.pk}",
        details={"from": previous_id, "to": to.pk},
    )


def extension(appeal, extension, *, actor) -> None:
    audit_record(
        kind=EXTENSION.code,
        actor=actor,
        obj=appeal,
        at=extension.at,
        summary=(
            f"step {extension.step}: +{extension.days_added} days, due "
            f"{extension.resolution_due_after:%Y-%m-%d}"
        ),
        details={
            "step": extension.step,
            "days_added": extension.days_added,
            "before": extension.resolution_due_before.isoformat(),
            "after": extension.resolution_due_after.isoformat(),
        },
    )
