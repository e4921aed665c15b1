"""The acts credit records in the audit trail (see audit.registry), and how it words them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from audit.registry import AuditKind, register
from audit.services import Audited, audit_record, audit_record_many

DECISION = register(AuditKind("credit.decision", _("Credit decision")))
CAMPAIGN = register(AuditKind("credit.campaign", _("Policy campaign")))
CORRECTION = register(AuditKind("credit.correction", _("System-error correction")))
RULE_VERSION = register(AuditKind("credit.rule_version", _("Rule version activation")))
REASON_WORDING = register(AuditKind("credit.reason_wording", _("Reason wording changed")))


def decisions_written(decisions) -> None:
    """One entry per decision written (a batch is one INSERT)."""
    audit_record_many(
        Audited(
            kind=DECISION.code,
            actor=decision.actor,
            obj=decision,
            label=f"decision {decision.pk} · line {decision.line_id}",
            summary=(
                f"{decision.trigger}: {decision.outcome}; {decision.old_status}→"
                f"{decision.new_status}; limit {decision.old_limit}→{decision.new_limit}"
            ),
            details={
                "line": decision.line_id,
                "trigger": decision.trigger,
                "outcome": decision.outcome,
                "old_status": decision.old_status,
                "new_status": decision.new_status,
                "old_limit": str(decision.old_limit),
                "new_limit": str(decision.new_limit),
                "scorecard": decision.scorecard_id,
                "policy": decision.policy_id,
            },
            at=decision.created_at,
        )
        for decision in decisions
    )


def run_act(kind: AuditKind, run, act: str, *, actor, lines: int | None = None) -> None:
    """A campaign or a correction started, released, discarded, cancelled or lifted."""
    details = {"act": act, "state": run.state}
    if lines is not None:
        details["lines"] = lines
    audit_record(
        kind=kind.code,
        actor=actor,
        obj=run,
        label=f"{run._meta.model_name} {run.pk} · {run.name}",
        summary=f"{act} ({run.state})" + (f", {lines} lines" if lines is not None else ""),
        details=details,
    )


def rule_version_act(version, act: str, *, actor) -> None:
    """A scorecard or policy version asked for activation, or activated."""
    audit_record(
        kind=RULE_VERSION.code,
        actor=actor,
        obj=version,
        label=f"{version._meta.model_name} v{version.version}",
        summary=f"{act}: {version._meta.model_name} v{version.version}",
        details={"act": act, "version": version.version, "status": version.status},
    )


def reason_wording_changed(reason_code, *, actor, version: int | None = None) -> None:
    audit_record(
        kind=REASON_WORDING.code,
        actor=actor,
        obj=reason_code,
        summary=f"{reason_code.code}: wording saved" + (f" as v{version}" if version else ""),
        details={"code": reason_code.code, "version": version},
    )
