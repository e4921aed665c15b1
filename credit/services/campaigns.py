"""Policy campaigns: drafting, starting, running in chunks (resumable), cancelling, lifting.

A started campaign writes one `CampaignLine` per line it may change. Each chunk locks the
campaign, takes the next waiting lines in id order, and in one transaction writes their
decisions and marks them done; so a worker killed half-way
loses only an uncommitted chunk, and a resumed or repeated run never decides a line twice.
Notices are rendered after the chunk commits, by their own task (as for the nightly run);
`notify()` never writes a second one for a decision, and the hourly sweep sends any a lost
task missed: one notice per decision.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audited
from ..engine import campaigns as campaign_rules
from ..models import (
    CampaignAction,
    CampaignLine,
    CampaignLineState,
    CampaignState,
    CreditLine,
    DecisionOutcome,
    DecisionTrigger,
    PolicyCampaign,
    ReasonCategory,
)
from . import breaker
from ._batches import (
    batch_chunk_size,
    insert_rows_from,
    latest_decision_ids,
    mark_entries,
    queue_safely,
    resume,
    resume_stalled,
    run_for,
    save_draft,
)
from ._writes import NOTICES_DEFERRED, _apply_plan, _write_decisions
from .rechecks import campaign_counterfactuals

CAMPAIGN_REASON_CATEGORIES = (ReasonCategory.POLICY_ADJUSTMENT, ReasonCategory.REGULATORY)


def campaign_clean(campaign: PolicyCampaign) -> None:
    """The rules a campaign must keep before it is saved or started. Raises ValidationError."""
    errors = {}
    if campaign.action == CampaignAction.REDUCE and not campaign.reduce_percent:
        errors["reduce_percent"] = _("Give the share of the limit to take away (1–90%).")
    if campaign.action != CampaignAction.REDUCE and campaign.reduce_percent:
        errors["reduce_percent"] = _("Only a reduction takes a share of the limit.")
    if campaign.reason_code.category not in CAMPAIGN_REASON_CATEGORIES:
        errors["reason_code"] = _(
            "A campaign gives a product policy change or a regulatory requirement as its reason."
        )
    elif (
        campaign.action == CampaignAction.CLOSE
        and campaign.notice_days < campaign.reason_code.default_buffer_days
    ):
        errors["notice_days"] = _(
            "The notice period cannot be shorter than this reason's %(days)s days."
        ) % {"days": campaign.reason_code.default_buffer_days}
    if campaign.ends_on and campaign.action != CampaignAction.FREEZE:
        errors["ends_on"] = _("Only a pause can end by itself.")
    if campaign.ends_on and campaign.ends_on <= timezone.localdate():
        errors["ends_on"] = _("The end date must be in the future.")
    unknown = set(campaign.statuses) - set(campaign_rules.ACTION_SOURCES[campaign.action])
    if unknown:
        errors["statuses"] = _("This action does not apply to lines that are: %(statuses)s.") % {
            "statuses": ", ".join(sorted(unknown))
        }
    if (
        campaign.min_tenure_months is not None
        and campaign.max_tenure_months is not None
        and campaign.min_tenure_months >= campaign.max_tenure_months
    ):
        errors["max_tenure_months"] = _("The upper bound must be above the lower one.")
    if (
        campaign.min_limit is not None
        and campaign.max_limit is not None
        and campaign.min_limit > campaign.max_limit
    ):
        errors["max_limit"] = _("The upper bound must not be below the lower one.")
    if errors:
        raise ValidationError(errors)
    campaign.full_clean(exclude=["created_by"])


@transaction.atomic
def campaign_save_draft(*, campaign: PolicyCampaign, actor) -> PolicyCampaign:
    """Save a new or edited draft. A started campaign can no longer change."""
    return save_draft(
        campaign,
        actor=actor,
        clean=campaign_clean,
        started_message=_("A campaign that has started can no longer be edited."),
    )


def campaign_segment(campaign: PolicyCampaign, *, now: datetime | None = None):
    """The lines the campaign's segment selects (whatever their status)."""
    now = now or timezone.now()
    lines = CreditLine.objects.all()
    statuses = campaign.statuses or campaign_rules.ACTION_SOURCES[campaign.action]
    lines = lines.filter(status__in=statuses)
    if campaign.min_tenure_months is not None:
        cutoff = campaign_rules.months_before(now, campaign.min_tenure_months)
        lines = lines.filter(opened_at__lte=cutoff)
    if campaign.max_tenure_months is not None:
        cutoff = campaign_rules.months_before(now, campaign.max_tenure_months)
        lines = lines.filter(opened_at__gt=cutoff)
    if campaign.min_limit is not None:
        lines = lines.filter(credit_limit__gte=campaign.min_limit)
    if campaign.max_limit is not None:
        lines = lines.filter(credit_limit__lte=campaign.max_limit)
    return lines


@transaction.atomic
def campaign_start(*, campaign: PolicyCampaign, actor, now: datetime | None = None) -> int:
    """Start a draft: record every line of the segment as waiting, then queue the first chunk.
    Returns the number of lines recorded."""
    now = now or timezone.now()
    campaign = PolicyCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != CampaignState.DRAFT:
        raise ValidationError(_("This campaign has already started."))
    campaign_clean(campaign)
    insert_rows_from(
        CampaignLine,
        {"campaign_id": campaign.pk, "state": CampaignLineState.PENDING},
        {"line_id": "id"},
        campaign_segment(campaign, now=now),
    )
    campaign.lines_total = CampaignLine.objects.filter(campaign=campaign).count()
    campaign.lines_done = 0
    campaign.started_at = campaign.last_progress_at = now
    adverse = 0 if campaign.action == CampaignAction.LIFT else campaign.lines_total
    because = breaker.batch_assess(adverse=adverse, now=now)
    if because:
        # The circuit breaker: nothing applied, no borrower told, supervisors asked to look.
        campaign.state, campaign.held_because = CampaignState.HELD, because
        campaign.save()
        breaker.batch_held_tell(
            batch=campaign, name=campaign.name, affected=campaign.lines_total, because=because
        )
        audited.run_act(
            audited.CAMPAIGN, campaign, "start", actor=actor, lines=campaign.lines_total
        )
        return campaign.lines_total
    campaign.state = CampaignState.RUNNING
    campaign.save()
    audited.run_act(audited.CAMPAIGN, campaign, "start", actor=actor, lines=campaign.lines_total)
    _queue_chunk_on_commit(campaign.pk)
    return campaign.lines_total


@transaction.atomic
def campaign_release(*, campaign: PolicyCampaign, actor, now: datetime | None = None) -> int:
    """A supervisor releases a held campaign: it runs (and its notices go). Recorded."""
    campaign = _held(campaign)
    campaign.state = CampaignState.RUNNING
    campaign.reviewed_by, campaign.reviewed_at = actor, now or timezone.now()
    campaign.last_progress_at = campaign.reviewed_at
    campaign.save()
    audited.run_act(audited.CAMPAIGN, campaign, "release", actor=actor)
    _queue_chunk_on_commit(campaign.pk)
    return campaign.lines_total


@transaction.atomic
def campaign_discard(*, campaign: PolicyCampaign, actor, now: datetime | None = None) -> int:
    """A supervisor discards a held campaign: no line changes, nobody is told. Recorded."""
    campaign = _held(campaign)
    campaign.state = CampaignState.DISCARDED
    campaign.reviewed_by, campaign.reviewed_at = actor, now or timezone.now()
    campaign.finished_at = campaign.reviewed_at
    campaign.save()
    audited.run_act(audited.CAMPAIGN, campaign, "discard", actor=actor)
    return 0


def _held(campaign: PolicyCampaign) -> PolicyCampaign:
    campaign = PolicyCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != CampaignState.HELD:
        raise ValidationError(_("Only a held campaign can be released or discarded."))
    return campaign


@transaction.atomic
def campaign_run_chunk(*, campaign_id: int, actor=None, now: datetime | None = None) -> int:
    """Apply (or, while lifting, restore) the next chunk of waiting lines, in one transaction.

    Returns the number of lines handled, 0 when the campaign has nothing left to do (then it
    is marked completed or lifted) or is not running (cancelled: it just stops).
    """
    now = now or timezone.now()
    campaign = (
        PolicyCampaign.objects.select_for_update()
        .select_related("reason_code")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None or not campaign.in_progress:
        return 0
    lifting = campaign.state == CampaignState.LIFTING
    todo = CampaignLineState.APPLIED if lifting else CampaignLineState.PENDING
    entries = list(
        CampaignLine.objects.filter(campaign=campaign, state=todo)
        .select_related("decision")
        .order_by("line_id")[: batch_chunk_size()]
    )
    if not entries:
        campaign.state = CampaignState.LIFTED if lifting else CampaignState.COMPLETED
        if lifting:
            campaign.lifted_at = now
        else:
            campaign.finished_at = now
        campaign.last_progress_at = now
        campaign.save()
        return 0
    lines = CreditLine.objects.select_for_update(of=("self",)).in_bulk([e.line_id for e in entries])
    if lifting:
        rows = _restore_rows(campaign, entries, lines, now=now)
    else:
        rows = _apply_rows(campaign, entries, lines, now=now)
    for _line, decision, _reasons in rows:
        decision.trigger = DecisionTrigger.CAMPAIGN
        decision.actor = actor or (campaign.lifted_by if lifting else campaign.created_by)
    if rows:
        _write_decisions(rows, notice_mode=NOTICES_DEFERRED)
    mark_entries(
        entries,
        {line.pk for line, _, _ in rows},
        field="restore_decision" if lifting else "decision",
        done=CampaignLineState.RESTORED if lifting else CampaignLineState.APPLIED,
        untouched=CampaignLineState.KEPT if lifting else CampaignLineState.SKIPPED,
        trigger=DecisionTrigger.CAMPAIGN,
        now=now,
    )
    campaign.lines_done += len(entries)
    campaign.last_progress_at = now
    campaign.save(update_fields=["lines_done", "last_progress_at"])
    return len(entries)


def campaign_run_for(*, campaign_id: int, seconds: float | None = None) -> bool:
    """Chunks of the campaign for a while (see `_batches.run_for`); True when it is done."""
    return run_for(
        lambda: campaign_run_chunk(campaign_id=campaign_id),
        lambda: _queue_chunk(campaign_id),
        seconds,
    )


def _apply_rows(campaign, entries, lines, *, now):
    spec = campaign_rules.CampaignAction(
        action=campaign.action,
        reduce_percent=campaign.reduce_percent,
        notice_days=campaign.notice_days,
    )
    reasons = [(campaign.reason_code.code, "", 0, False)]
    rows = []
    for entry in entries:
        line = lines[entry.line_id]
        plan = campaign_rules.campaign_plan(
            spec, status=line.status, credit_limit=line.credit_limit
        )
        if plan is None:
            continue  # the line moved out of the action's reach since the start
        decision = _apply_plan(line, plan, now=now)
        if plan.outcome == DecisionOutcome.SCHEDULE_CLOSURE and not plan.buffer_days:
            line.close()  # no notice period (a regulatory reason): the line closes at once
            decision.outcome, decision.new_status = DecisionOutcome.CLOSE, line.status
            decision.closing_effective_at = None
        decision.note = campaign_note(campaign)
        if plan.outcome != "reinstate":
            decision.counterfactuals = campaign_counterfactuals(
                reason_codes=[campaign.reason_code.code], ends_on=campaign.ends_on
            )
        rows.append((line, decision, [] if plan.outcome == "reinstate" else reasons))
    return rows


def _restore_rows(campaign, entries, lines, *, now):
    latest = latest_decision_ids([e.line_id for e in entries])
    rows = []
    for entry in entries:
        line, applied = lines[entry.line_id], entry.decision
        if latest.get(line.pk) != applied.pk:
            continue  # something decided the line since: it is left as it is
        plan = campaign_rules.restore_plan(
            old_status=applied.old_status,
            old_limit=applied.old_limit,
            status=line.status,
            credit_limit=line.credit_limit,
        )
        if plan is None:
            continue
        decision = _apply_plan(line, plan, now=now)
        decision.note = f"Campaign lifted: {campaign.name}"
        rows.append((line, decision, []))
    return rows


def campaign_note(campaign: PolicyCampaign) -> str:
    note = f"Campaign: {campaign.name}"
    if campaign.ends_on:
        note += f" (until {campaign.ends_on.isoformat()})"
    return note


@transaction.atomic
def campaign_cancel(*, campaign: PolicyCampaign, actor) -> PolicyCampaign:
    """Stop a running campaign (or one a failed chunk stopped while running): lines already
    changed stay changed (lift it to restore them), lines still waiting are never touched."""
    campaign = PolicyCampaign.objects.select_for_update().get(pk=campaign.pk)
    stopped_running = (
        campaign.state == CampaignState.FAILED and campaign.failed_state == CampaignState.RUNNING
    )
    if campaign.state != CampaignState.RUNNING and not stopped_running:
        raise ValidationError(_("Only a running campaign can be cancelled."))
    campaign.state = CampaignState.CANCELLED
    campaign.finished_at = timezone.now()
    campaign.save()
    audited.run_act(audited.CAMPAIGN, campaign, "cancel", actor=actor)
    return campaign


@transaction.atomic
def campaign_lift(*, campaign: PolicyCampaign, actor=None, now: datetime | None = None) -> int:
    """Restore, in chunks, every line the campaign changed and nothing changed since.
    Returns the number of lines to restore."""
    now = now or timezone.now()
    campaign = PolicyCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.action == CampaignAction.LIFT:
        raise ValidationError(_("A campaign that restores lines cannot itself be lifted."))
    if campaign.state not in (CampaignState.COMPLETED, CampaignState.CANCELLED):
        raise ValidationError(_("Only a completed or cancelled campaign can be lifted."))
    campaign.state = CampaignState.LIFTING
    campaign.lifted_by = actor
    campaign.lines_total = campaign.lines.filter(state=CampaignLineState.APPLIED).count()
    campaign.lines_done = 0
    campaign.last_progress_at = now
    campaign.save()
    audited.run_act(audited.CAMPAIGN, campaign, "lift", actor=actor, lines=campaign.lines_total)
    _queue_chunk_on_commit(campaign.pk)
    return campaign.lines_total


def campaign_resume(*, campaign: PolicyCampaign) -> bool:
    """Queue the next chunk of a campaign that is running or being lifted (after a crash)."""
    return resume(PolicyCampaign, campaign.pk, _queue_chunk)


def campaigns_resume_stalled(*, now: datetime | None = None) -> int:
    """Every few minutes: a campaign with no progress for a while lost its worker; resume it
    (or, silent for longer than a chunk may live though resumed, it fails)."""
    from .batch_failures import campaign_chunk_failed

    return resume_stalled(
        PolicyCampaign,
        _queue_chunk,
        now=now or timezone.now(),
        fail=lambda pk, error, at: campaign_chunk_failed(campaign_id=pk, error=error, now=at),
    )


def campaigns_lift_ended(*, today: date | None = None) -> int:
    """Daily: temporary pauses whose end date has come are lifted."""
    today = today or timezone.localdate()
    ended = PolicyCampaign.objects.filter(
        ends_on__lte=today, state__in=(CampaignState.COMPLETED, CampaignState.CANCELLED)
    )
    lifted = 0
    for campaign in ended:
        campaign_lift(campaign=campaign)
        lifted += 1
    return lifted


def _queue_chunk_on_commit(campaign_id: int) -> None:
    transaction.on_commit(lambda: _queue_chunk(campaign_id))


def _queue_chunk(campaign_id: int) -> None:
    from ..tasks import run_campaign_chunk  # tasks import the services: a real cycle

    queue_safely(run_campaign_chunk, campaign_id)
