"""The acts accounts records in the audit trail (see audit.registry)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from audit.registry import AuditKind, register
from audit.services import audit_record

STAFF_ACCESS = register(AuditKind("accounts.staff_access", _("Staff role or permission changed")))
REVEALED = register(AuditKind("accounts.personal_data", _("Personal data revealed")))


def staff_access_changed(person, *, actor, before: dict, after: dict) -> None:
    """Roles (groups), direct permissions, staff and superuser flags, as they were and are."""
    changed = {
        key: {"before": before[key], "after": after[key]}
        for key in after
        if before[key] != after[key]
    }
    if not changed:
        return
    audit_record(
        kind=STAFF_ACCESS.code,
        actor=actor,
        obj=person,
        label=f"user {person.pk}",
        summary="; ".join(
            f"{key}: {value['before']} → {value['after']}" for key, value in changed.items()
        )[:500],
        details=changed,
    )


def personal_data_revealed(person, *, actor, reason: str) -> None:
    audit_record(
        kind=REVEALED.code,
        actor=actor,
        obj=person,
        label=f"user {person.pk}",
        summary=reason,
        details={"fields": ["full_name", "email", "phone", "customer_id"], "reason": reason},
    )


def role_permissions_changed(group, *, actor, before: list[str], after: list[str]) -> None:
    """A role's (group's) permissions changed in the admin: what was added and removed."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    if not (added or removed):
        return
    audit_record(
        kind=STAFF_ACCESS.code,
        actor=actor,
        obj=group,
        label=f"role {group.name}",
        summary=(f"added: {', '.join(added) or '—'}; removed: {', '.join(removed) or '—'}")[:500],
        details={"added": added, "removed": removed},
    )
