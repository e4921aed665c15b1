"""Reason codes and the versioned scorecard and decision policy: drafts, checks, activation.
An activated version never changes again; a new draft is a copy."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import engine, selectors
from ..models import DecisionPolicy, ReasonCode, Scorecard, VersionStatus


@transaction.atomic
def reason_code_save(*, reason_code: ReasonCode) -> ReasonCode:
    """Save an edited reason code; both languages' title, explanation and advice are required."""
    reason_code.full_clean()
    reason_code.save()
    return reason_code


def scorecard_check(card: Scorecard) -> engine.ScorecardRules:
    try:
        rules = selectors.scorecard_rules(card)
    except engine.RulesError as exc:
        raise ValidationError({"attributes": str(exc)}) from exc
    missing = sorted(rules.reason_codes() - set(ReasonCode.objects.values_list("code", flat=True)))
    if missing:
        raise ValidationError({"attributes": f"Unknown reason code(s): {', '.join(missing)}."})
    return rules


def policy_check(policy: DecisionPolicy) -> engine.PolicyRules:
    try:
        rules = selectors.policy_rules(policy)
    except engine.RulesError as exc:
        raise ValidationError(str(exc)) from exc
    missing = sorted(rules.reason_codes() - set(ReasonCode.objects.values_list("code", flat=True)))
    if missing:
        raise ValidationError({"knockouts": f"Unknown reason code(s): {', '.join(missing)}."})
    return rules


def _next_version(model) -> int:
    latest = model.objects.order_by("-version").values_list("version", flat=True).first()
    return (latest or 0) + 1


@transaction.atomic
def scorecard_save_draft(*, scorecard: Scorecard) -> Scorecard:
    """Save a draft scorecard version. Activated versions can no longer change."""
    if scorecard.pk and scorecard.status != VersionStatus.DRAFT:
        raise ValidationError("An activated version can no longer change; copy it to a new draft.")
    if not scorecard.version:
        scorecard.version = _next_version(Scorecard)
    scorecard_check(scorecard)
    scorecard.save()
    return scorecard


@transaction.atomic
def policy_save_draft(*, policy: DecisionPolicy) -> DecisionPolicy:
    """Save a draft policy version. Activated versions can no longer change."""
    if policy.pk and policy.status != VersionStatus.DRAFT:
        raise ValidationError("An activated version can no longer change; copy it to a new draft.")
    if not policy.version:
        policy.version = _next_version(DecisionPolicy)
    policy_check(policy)
    policy.save()
    return policy


@transaction.atomic
def scorecard_copy_to_draft(*, source: Scorecard) -> Scorecard:
    """A new draft version with the same rules, to edit."""
    return Scorecard.objects.create(
        version=_next_version(Scorecard),
        base_points=source.base_points,
        attributes=source.attributes,
        notes=f"Copied from v{source.version}.",
    )


@transaction.atomic
def policy_copy_to_draft(*, source: DecisionPolicy) -> DecisionPolicy:
    return DecisionPolicy.objects.create(
        version=_next_version(DecisionPolicy),
        keep_min_score=source.keep_min_score,
        reduce_min_score=source.reduce_min_score,
        freeze_min_score=source.freeze_min_score,
        reduce_share=source.reduce_share,
        closure_buffer_days=source.closure_buffer_days,
        knockouts=source.knockouts,
        segments=source.segments,
        notes=f"Copied from v{source.version}.",
    )


def _activate(model, obj, validate, actor):
    obj = model.objects.select_for_update().get(pk=obj.pk)
    if obj.status != VersionStatus.DRAFT:
        raise ValidationError(f"Version {obj.version} is {obj.status}; only a draft is activated.")
    validate(obj)
    now = timezone.now()
    model.objects.filter(status=VersionStatus.ACTIVE).update(status=VersionStatus.RETIRED)
    obj.status = VersionStatus.ACTIVE
    obj.activated_at = now
    obj.activated_by = actor
    obj.save(update_fields=["status", "activated_at", "activated_by"])
    return obj


@transaction.atomic
def scorecard_activate(*, scorecard: Scorecard, actor) -> Scorecard:
    """Make a draft the one active scorecard; the previous one retires. Both are then frozen."""
    return _activate(Scorecard, scorecard, scorecard_check, actor)


@transaction.atomic
def policy_activate(*, policy: DecisionPolicy, actor) -> DecisionPolicy:
    """Make a draft the one active policy; the previous one retires. Both are then frozen."""
    return _activate(DecisionPolicy, policy, policy_check, actor)
