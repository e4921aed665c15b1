"""The appeal's clocks as the desk keeps them: due dates on the holiday calendar, resuming
after a pause, extensions of the decision due time, and escalation of missed due times.

The rules themselves are in the pure `appeals.clock`; this module reads the calendar and
writes the rows.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audited, clock, notices
from ..models import Appeal, AppealExtension, SlaBreach
from ..selectors import breached_q, business_calendar, supervisors
from ..states import EXTENDABLE_STATES
from ._input import clean_text
from ._transition import lock_appeal, require_staff


def desk_due_dates(submitted_at: datetime) -> clock.DueDates:
    """The due dates of an appeal submitted now, counted on the holiday calendar."""
    return clock.due_dates(submitted_at, business_calendar())


def resumed_due_dates(appeal: Appeal, *, resumed_at: datetime) -> clock.DueDates:
    """Both due times once the borrower answers: each pushed back by the business time the
    appeal waited (a weekend or holiday spent waiting adds nothing)."""
    calendar = business_calendar()

    def resume(due):
        return clock.resume_business_clock(
            due, paused_at=appeal.awaiting_since, resumed_at=resumed_at, calendar=calendar
        )

    return clock.DueDates(
        first_response_due=resume(appeal.first_response_due),
        resolution_due=resume(appeal.resolution_due),
    )


@transaction.atomic
def appeal_extend(*, appeal: Appeal, actor, reason: str) -> Appeal:
    """Extend the decision due time: 15 → 30 days (`extend_appeal`), then by 30 more with a
    supervisor's approval (`approve_further_extension`); never beyond. A reason is required
    and the borrower is told it (`appeal.extended`). Logged as an AppealExtension."""
    require_staff(actor, "extend_appeal")
    reason = clean_text(reason, field="reason", required=True, max_length=1000)
    appeal = lock_appeal(appeal)
    if appeal.status not in EXTENDABLE_STATES or appeal.resolution_due is None:
        raise ValidationError(
            _("This appeal is now “%(status)s”, so it cannot be extended.")
            % {"status": appeal.get_status_display()},
            code="state",
        )
    taken = appeal.extensions.count()
    try:
        step = clock.next_extension(steps_taken=taken, resolution_due=appeal.resolution_due)
    except clock.ExtensionRefused as exc:
        raise ValidationError(
            _("This appeal has already been extended twice; it cannot be extended again."),
            code="limit",
        ) from exc
    if step.needs_supervisor:
        require_staff(actor, "approve_further_extension")
    before = appeal.resolution_due
    appeal.resolution_due = step.resolution_due
    appeal.save(update_fields=["resolution_due"])
    extension = AppealExtension.objects.create(
        appeal=appeal,
        step=step.step,
        days_added=step.days_added,
        reason=reason,
        actor=actor,
        at=timezone.now(),
        resolution_due_before=before,
        resolution_due_after=step.resolution_due,
    )
    audited.extension(appeal, extension, actor=actor)
    notices.appeal_extended(appeal, extension)
    return appeal


@transaction.atomic
def appeals_escalate_breaches(*, now: datetime | None = None) -> int:
    """Record every newly missed due time (first response, resolution) of an appeal being
    worked and tell every active supervisor once (`staff.sla_breached`). Safe to run again:
    one SlaBreach row per (appeal, clock, due), and a notice only when the row is new.
    Returns how many breaches were new."""
    now = now or timezone.now()
    candidates = (
        Appeal.objects.filter(breached_q(now)).select_related("assignee", "borrower").order_by("pk")
    )
    recipients = None
    new = 0
    for appeal in candidates.iterator(chunk_size=500):
        state = clock.ClockState(
            status=appeal.status,
            first_response_due=appeal.first_response_due,
            first_responded_at=appeal.first_responded_at,
            resolution_due=appeal.resolution_due,
            second_review_due=appeal.second_review_due,
        )
        for clock_name, due in clock.breached_clocks(state, now=now):
            _row, created = SlaBreach.objects.get_or_create(
                appeal=appeal, clock=clock_name, due=due, defaults={"detected_at": now}
            )
            if not created:
                continue
            new += 1
            if recipients is None:
                recipients = list(supervisors())
            for supervisor in recipients:
                notices.staff_sla_breached(supervisor, appeal, clock_name=clock_name, due=due)
    return new
