"""The kinds of audited act, registered by the apps that perform them (`<app>/audited.py`).

The audit app names no domain act: credit registers "credit.decision", appeals
"appeal.transition", and so on. `audit_record` refuses a kind nobody registered, so a typo
fails the act's transaction instead of writing an entry no filter finds.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class AuditKind:
    code: str  # "<app>.<act>", stored on each entry; never renamed once entries exist
    label: str  # lazily translated, shown in the admin's filter and the CSV


_KINDS: dict[str, AuditKind] = {}


def register(kind: AuditKind) -> AuditKind:
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ImproperlyConfigured(f"The audit kind {kind.code!r} is registered twice.")
    _KINDS[kind.code] = kind
    return kind


def get(code: str) -> AuditKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise ImproperlyConfigured(f"No app registered the audit kind {code!r}.") from None


def all_kinds() -> list[AuditKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.code)


def label(code: str) -> str:
    kind = _KINDS.get(code)
    return str(kind.label) if kind else code
