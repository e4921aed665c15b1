"""Reason codes and the versioned scorecard and decision policy: drafts, checks, activation.
An activated version never changes again; a new draft is a copy."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audited, engine, selectors
from ..models import DecisionPolicy, ReasonCode, ReasonWording, Scorecard, VersionStatus
from ..models.rules import WORDING_FIELDS


@transaction.atomic
def reason_code_save(*, reason_code: ReasonCode, actor=None) -> ReasonCode:
    """Save an edited reason code; both languages' title, explanation and advice are required.

    Changed texts become a new wording version for decisions from now on; decisions already
    made keep the version they were made with (audited as "credit.reason_wording")."""
    reason_code.full_clean()
    reason_code.save()
    if reason_code.wording_differs():
        latest = reason_code.wordings.order_by("-version").values_list("version", flat=True)
        version = (latest.first() or 0) + 1
        reason_code.wording = ReasonWording.objects.create(
            reason_code=reason_code,
            version=version,
            created_by=actor,
            **{name: getattr(reason_code, name) for name in WORDING_FIELDS},
        )
        reason_code.save(update_fields=["wording", "updated_at"])
        audited.reason_wording_changed(reason_code, actor=actor, version=version)
    return reason_code


def _check(read_rules, version, *, codes_field: str, parse_error_field: str | None):
    """Rules the engine can read, naming only reason codes that exist. A parse error is put
    on `parse_error_field`, or on the whole form when it may concern any rule field."""
    try:
        rules = read_rules(version)
    except engine.RulesError as exc:
        message = str(exc)
        raise ValidationError(
            {parse_error_field: message} if parse_error_field else message
        ) from exc
    missing = sorted(rules.reason_codes() - set(ReasonCode.objects.values_list("code", flat=True)))
    if missing:
        raise ValidationError({codes_field: f"Unknown reason code(s): {', '.join(missing)}."})
    return rules


def scorecard_check(card: Scorecard) -> engine.ScorecardRules:
    """A scorecard the engine can read, whose reason codes all exist."""
    return _check(
        selectors.scorecard_rules, card, codes_field="attributes", parse_error_field="attributes"
    )


def policy_check(policy: DecisionPolicy) -> engine.PolicyRules:
    """A policy the engine can read, whose knock-out reason codes all exist."""
    return _check(selectors.policy_rules, policy, codes_field="knockouts", parse_error_field=None)


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


def _copy_to_draft(model, source):
    return model.objects.create(
        version=_next_version(model),
        notes=f"Copied from v{source.version}.",
        **source.rule_values(),
    )


@transaction.atomic
def scorecard_copy_to_draft(*, source: Scorecard) -> Scorecard:
    """A new draft version with the same rules, to edit."""
    return _copy_to_draft(Scorecard, source)


@transaction.atomic
def policy_copy_to_draft(*, source: DecisionPolicy) -> DecisionPolicy:
    """A new draft version with the same rules, to edit."""
    return _copy_to_draft(DecisionPolicy, source)


def _request_activation(model, obj, validate, actor):
    obj = model.objects.select_for_update().get(pk=obj.pk)
    if obj.status != VersionStatus.DRAFT:
        raise ValidationError(f"Version {obj.version} is {obj.status}; only a draft is activated.")
    if actor is None:
        raise ValidationError(_("An activation is asked for by a person."))
    validate(obj)
    obj.activation_requested_at = timezone.now()
    obj.activation_requested_by = actor
    obj.save(update_fields=["activation_requested_at", "activation_requested_by"])
    audited.rule_version_act(obj, "activation requested", actor=actor)
    return obj


def _activate(model, obj, validate, actor):
    """Four eyes: a draft is activated by a second person, after another one asked."""
    obj = model.objects.select_for_update().get(pk=obj.pk)
    if obj.status != VersionStatus.DRAFT:
        raise ValidationError(f"Version {obj.version} is {obj.status}; only a draft is activated.")
    if obj.activation_requested_by_id is None:
        raise ValidationError(
            _(
                "Version %(version)s needs a request for activation first; then a second "
                "supervisor approves it."
            )
            % {"version": obj.version}
        )
    if actor is None or actor.pk == obj.activation_requested_by_id:
        raise ValidationError(
            _(
                "You asked for version %(version)s to be activated: a second supervisor must "
                "approve it."
            )
            % {"version": obj.version}
        )
    validate(obj)
    now = timezone.now()
    replaced = model.objects.filter(status=VersionStatus.ACTIVE).order_by("-version").first()
    model.objects.filter(status=VersionStatus.ACTIVE).update(status=VersionStatus.RETIRED)
    obj.status = VersionStatus.ACTIVE
    obj.activated_at = now
    obj.activated_by = actor
    obj.save(update_fields=["status", "activated_at", "activated_by"])
    # Every line is evaluated under the new version as one batch, behind the circuit breaker.
    from .staging import evaluation_batch_after_activation

    evaluation_batch_after_activation(version=obj, replaced=replaced, actor=actor)
    audited.rule_version_act(obj, "activated", actor=actor)
    return obj


def version_reinstate_after_discard(*, version, replaced, actor, batch) -> bool:
    """A supervisor discarded the batch of a newly activated version: the version it replaced
    is active again and the discarded one retires, so the next nightly run does not apply what
    was discarded. Audited for both versions. Nothing is changed when another version has been
    activated since (it is the one in force) or there was none before. In the caller's
    transaction; returns whether the replaced version is active again."""
    model = type(version)
    current = model.objects.select_for_update().filter(status=VersionStatus.ACTIVE).first()
    if replaced is None or current is None or current.pk != version.pk:
        return False
    model.objects.filter(pk=version.pk).update(status=VersionStatus.RETIRED)
    model.objects.filter(pk=replaced.pk).update(status=VersionStatus.ACTIVE)
    version.refresh_from_db()
    replaced.refresh_from_db()
    audited.rule_version_act(version, f"retired: its batch {batch.pk} was discarded", actor=actor)
    audited.rule_version_act(
        replaced,
        f"active again: the batch {batch.pk} of v{version.version} was discarded",
        actor=actor,
    )
    return True


@transaction.atomic
def scorecard_request_activation(*, scorecard: Scorecard, actor) -> Scorecard:
    """The maker: a checked draft waits for a second supervisor's approval."""
    return _request_activation(Scorecard, scorecard, scorecard_check, actor)


@transaction.atomic
def policy_request_activation(*, policy: DecisionPolicy, actor) -> DecisionPolicy:
    """The maker: a checked draft waits for a second supervisor's approval."""
    return _request_activation(DecisionPolicy, policy, policy_check, actor)


@transaction.atomic
def scorecard_activate(*, scorecard: Scorecard, actor) -> Scorecard:
    """The checker: someone other than the person who asked makes the draft the one active
    scorecard; the previous one retires. Both are then frozen; who asked and who approved
    are kept."""
    return _activate(Scorecard, scorecard, scorecard_check, actor)


@transaction.atomic
def policy_activate(*, policy: DecisionPolicy, actor) -> DecisionPolicy:
    """The checker: someone other than the person who asked makes the draft the one active
    policy; the previous one retires. Both are then frozen; who asked and who approved are
    kept."""
    return _activate(DecisionPolicy, policy, policy_check, actor)
