"""Desk services: assignment, reassignment, agents away, extensions, the holiday calendar at
submission, and breach escalation to supervisors."""

from collections import Counter
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from appeals import services, tasks
from appeals.models import (
    Appeal,
    AppealAssignment,
    AppealExtension,
    AppealStatus,
    CalendarDayKind,
    SlaBreach,
)
from appeals.services import AppealPermissionDenied
from config.beat import BEAT_SCHEDULE
from notifications.models import Notification
from tests.appeals import factories as f
from tests.appeals.test_desk_clock import sh

pytestmark = pytest.mark.django_db
S = AppealStatus


def notices(event, **filters):
    return Notification.objects.filter(event=event, channel="inbox", **filters)


# --- assignment -----------------------------------------------------------------------------


def test_a_new_appeal_goes_to_the_least_loaded_agent_who_is_told():
    busy, free = f.agent(), f.agent()
    f.in_review_appeal(worker=busy)
    Appeal.objects.update(assignee=busy)
    appeal = f.submitted_appeal()
    assert appeal.assignee == free
    log = AppealAssignment.objects.get(appeal=appeal)
    assert (log.from_assignee, log.to_assignee, log.actor) == (None, free, None)
    assert notices("staff.appeal_assigned", recipient=free).count() == 1


def test_assignment_is_fair_over_100_appeals_and_5_agents():
    agents = [f.agent() for _ in range(5)]
    for _ in range(100):
        f.submitted_appeal()
    loads = Counter(Appeal.objects.values_list("assignee_id", flat=True))
    assert loads == {a.pk: 20 for a in agents}
    for agent in agents:
        assert notices("staff.appeal_assigned", recipient=agent).count() == 20


def test_an_agent_marked_away_gets_no_new_appeals_and_comes_back():
    away, present = f.agent(), f.agent()
    supervisor = f.supervisor()
    services.agent_set_away(agent=away, away=True, actor=supervisor, note="年假")
    assigned = {f.submitted_appeal().assignee_id for _ in range(3)}
    assert assigned == {present.pk}
    services.agent_set_away(agent=away, away=False, actor=away)
    assert f.submitted_appeal().assignee == away  # least loaded again


def test_only_supervisors_mark_someone_else_away():
    one, other = f.agent(), f.agent()
    with pytest.raises(AppealPermissionDenied):
        services.agent_set_away(agent=other, away=True, actor=one)
    services.agent_set_away(agent=one, away=True, actor=one)  # themselves: fine


def test_with_every_agent_away_the_appeal_waits_unassigned():
    services.agent_set_away(agent=f.agent(), away=True, actor=f.supervisor())
    appeal = f.submitted_appeal()
    assert appeal.assignee is None
    assert not AppealAssignment.objects.exists()


def test_reassignment_is_logged_and_refused_for_closed_appeals_and_agents():
    first = f.agent()
    appeal = f.in_review_appeal(worker=first)
    second = f.agent()
    supervisor = f.supervisor()
    with pytest.raises(AppealPermissionDenied):
        services.appeal_reassign(appeal=appeal, assignee=second, actor=first, reason="x")
    with pytest.raises(ValidationError):
        services.appeal_reassign(appeal=appeal, assignee=second, actor=supervisor, reason=" ")
    services.appeal_reassign(appeal=appeal, assignee=second, actor=supervisor, reason="休假")
    appeal.refresh_from_db()
    assert appeal.assignee == second
    log = AppealAssignment.objects.filter(appeal=appeal).latest("id")
    assert (log.from_assignee, log.to_assignee, log.actor, log.reason) == (
        first,
        second,
        supervisor,
        "休假",
    )
    assert notices("staff.appeal_assigned", recipient=second).count() == 1
    denied = f.denied_appeal()
    with pytest.raises(ValidationError):
        services.appeal_reassign(appeal=denied, assignee=second, actor=supervisor, reason="x")


# --- the holiday calendar at submission -----------------------------------------------------


def test_submission_counts_the_first_response_on_the_holiday_calendar():
    services.calendar_day_set(day=date(2026, 10, 1), kind=CalendarDayKind.HOLIDAY, name="国庆节")
    services.calendar_day_set(day=date(2026, 10, 2), kind=CalendarDayKind.HOLIDAY, name="国庆节")
    f.agent()
    appeal = f.draft_appeal()
    with time_machine.travel(sh(2026, 9, 30, 10, 0), tick=False):
        appeal = services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    # Wed Sep 30 → Thu/Fri off, weekend → Mon Oct 5, Tue Oct 6.
    assert appeal.first_response_due == sh(2026, 10, 6, 10, 0)
    assert appeal.resolution_due == sh(2026, 10, 15, 10, 0)


def test_the_calendar_refuses_an_unknown_kind_or_no_name():
    with pytest.raises(ValidationError):
        services.calendar_day_set(day=date(2026, 10, 1), kind="party", name="x")
    with pytest.raises(ValidationError):
        services.calendar_day_set(day=date(2026, 10, 1), kind="holiday", name="")


# --- extensions -----------------------------------------------------------------------------


def test_a_reviewer_extends_to_30_days_with_a_reason_the_borrower_is_told():
    appeal = f.in_review_appeal()
    due = appeal.resolution_due
    reviewer = f.reviewer()
    with pytest.raises(ValidationError):
        services.appeal_extend(appeal=appeal, actor=reviewer, reason="  ")
    appeal = services.appeal_extend(appeal=appeal, actor=reviewer, reason="需要向征信机构核实")
    assert appeal.resolution_due == due + timedelta(days=15)
    told = notices("appeal.extended", recipient=appeal.borrower).get()
    assert "需要向征信机构核实" in told.body_text
    extension = AppealExtension.objects.get(appeal=appeal)
    assert (extension.step, extension.days_added, extension.actor) == (1, 15, reviewer)


def test_the_further_30_days_need_a_supervisor_and_there_is_no_third():
    appeal = f.in_review_appeal()
    reviewer, supervisor = f.reviewer(), f.supervisor()
    services.appeal_extend(appeal=appeal, actor=reviewer, reason="复杂案件")
    with pytest.raises(AppealPermissionDenied):
        services.appeal_extend(appeal=appeal, actor=reviewer, reason="还需要时间")
    appeal = services.appeal_extend(appeal=appeal, actor=supervisor, reason="需要主管批准延期")
    assert appeal.resolution_due == appeal.submitted_at + timedelta(days=60)
    with pytest.raises(ValidationError):
        services.appeal_extend(appeal=appeal, actor=supervisor, reason="再延期")
    assert AppealExtension.objects.filter(appeal=appeal).count() == 2
    assert notices("appeal.extended", recipient=appeal.borrower).count() == 2


def test_agents_cannot_extend_and_decided_appeals_cannot_be_extended():
    appeal = f.in_review_appeal()
    with pytest.raises(AppealPermissionDenied):
        services.appeal_extend(appeal=appeal, actor=f.agent(), reason="x")
    denied = f.denied_appeal()
    with pytest.raises(ValidationError):
        services.appeal_extend(appeal=denied, actor=f.supervisor(), reason="x")


# --- breach escalation ----------------------------------------------------------------------


def test_breaches_are_escalated_to_supervisors_once_per_appeal_per_breach():
    sup_a, sup_b = f.supervisor(), f.supervisor()
    worker = f.agent(full_name="Agent Zhao")
    late = f.in_review_appeal(worker=worker)
    paused = f.awaiting_appeal(worker=worker)
    on_time = f.in_review_appeal(worker=worker)
    Appeal.objects.filter(pk=on_time.pk).update(
        first_responded_at=timezone.now(), resolution_due=timezone.now() + timedelta(days=30)
    )
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert services.appeals_escalate_breaches() == 1  # first response missed
        assert services.appeals_escalate_breaches() == 0  # a second run sends nothing
    with time_machine.travel(timezone.now() + timedelta(days=16)):
        assert tasks.escalate_sla_breaches() == 1  # now the resolution too
        assert tasks.escalate_sla_breaches() == 0
    breaches = SlaBreach.objects.filter(appeal=late)
    assert sorted(breaches.values_list("clock", flat=True)) == ["first_response", "resolution"]
    assert not SlaBreach.objects.filter(appeal__in=[paused, on_time]).exists()
    for supervisor in (sup_a, sup_b):
        sent = notices("staff.sla_breached", recipient=supervisor)
        assert sent.count() == 2
        assert all("Agent Zhao" in n.body_text for n in sent)
    assert not notices("staff.sla_breached", recipient=worker).exists()
    assert not notices("staff.sla_breached", recipient=late.borrower).exists()


def test_breach_escalation_runs_on_beat():
    entry = BEAT_SCHEDULE["appeals.escalate_sla_breaches"]
    assert entry["task"] == tasks.escalate_sla_breaches.name


def test_supervisors_other_than_the_first_decider_are_told_of_a_second_review():
    first, other = f.supervisor(), f.supervisor()
    appeal = f.denied_appeal(decider=first)
    services.appeal_request_second_review(appeal=appeal, actor=appeal.borrower, statement="请复核")
    assert notices("staff.decision_review_needed", recipient=other).count() == 1
    assert not notices("staff.decision_review_needed", recipient=first).exists()
    assert not notices("staff.decision_review_needed", recipient=appeal.borrower).exists()
