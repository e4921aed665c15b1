"""The acts accounts records in the audit trail (see audit.registry)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from audit.registry import AuditKind, register
from audit.services import audit_record

STAFF_ACCESS = register(AuditKind("accounts.staff_access", _("Staff role or permission changed")))
REVEALED = register(AuditKind("accounts.personal_data", _("Personal data revealed")))
POLICY_PUBLISHED = register(AuditKind("accounts.policy_published", _("Policy version published")))
CONSENT = register(AuditKind("accounts.consent", _("Policy accepted")))


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


def policy_version_published(version, *, actor, announced: bool) -> None:
    audit_record(
        kind=POLICY_PUBLISHED.code,
        actor=actor,
        obj=version,
        label=f"{version.document} {version.version}",
        summary=f"{version.document} {version.version}, effective {version.effective_on}",
        details={
            "document": version.document,
            "version": version.version,
            "effective_on": version.effective_on.isoformat(),
            "borrowers_told": announced,
        },
    )


def policy_accepted(acceptance, *, actor) -> None:
    """Who accepted which version, when and through what; the address stays on the acceptance
    row (the trail holds no personal data)."""
    version = acceptance.policy_version
    audit_record(
        kind=CONSENT.code,
        actor=actor,
        obj=acceptance,
        at=acceptance.accepted_at,
        label=f"user {acceptance.user_id}: {version.document} {version.version}",
        summary=f"accepted {version.document} {version.version}",
        details={
            "document": version.document,
            "version": version.version,
            "policy_version_id": version.pk,
            "channel": acceptance.channel,
        },
    )


DATA_EXPORT = register(AuditKind("accounts.data_export", _("Copy of personal data")))
DELETION_REQUEST = register(AuditKind("accounts.deletion_request", _("Account deletion requested")))
LEGAL_HOLD = register(AuditKind("accounts.legal_hold", _("Legal hold placed or lifted")))
ERASED = register(
    AuditKind("accounts.personal_data_erased", _("Personal details removed (retention)"))
)


def data_export_requested(export, *, actor) -> None:
    audit_record(
        kind=DATA_EXPORT.code,
        actor=actor,
        obj=actor,
        label=f"user {actor.pk}",
        summary="requested",
        details={"export": str(export.pk), "act": "requested", "language": export.language},
    )


def data_export_downloaded(export, *, actor, kind: str) -> None:
    audit_record(
        kind=DATA_EXPORT.code,
        actor=actor,
        obj=actor,
        label=f"user {actor.pk}",
        summary=f"downloaded ({kind})",
        details={"export": str(export.pk), "act": "downloaded", "file": kind},
    )


def deletion_requested(request, *, actor, in_use: bool) -> None:
    audit_record(
        kind=DELETION_REQUEST.code,
        actor=actor,
        obj=actor,
        label=f"user {actor.pk}",
        summary="confirmed by the borrower",
        details={
            "records_in_use": in_use,
            "keep_until": None if in_use else request.keep_until.isoformat(),
        },
    )


def legal_hold_changed(hold, *, actor, placed: bool) -> None:
    audit_record(
        kind=LEGAL_HOLD.code,
        actor=actor,
        obj=hold.person,
        label=f"user {hold.person_id}",
        summary=("placed: " if placed else "lifted: ") + hold.reason,
        details={"hold": hold.pk, "act": "placed" if placed else "lifted", "reason": hold.reason},
    )


def personal_data_erased(person, *, reason: str, counts: dict) -> None:
    audit_record(
        kind=ERASED.code,
        actor=None,
        obj=person,
        label=f"user {person.pk}",
        summary=reason,
        details={"reason": reason, "removed": counts},
    )
