"""Extensions of the decision due time and escalation of missed due times."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from appeals import services, tasks
from appeals.models import (
    Appeal,
    AppealExtension,
    AppealStatus,
    SlaBreach,
)
from appeals.services import AppealPermissionDenied
from config.beat import BEAT_SCHEDULE
from notifications.models import Notification
from tests.appeals import factories as f

pytestmark = pytest.mark.django_db
S = AppealStatus


def notices(event, **filters):
    return Notification.objects.filter(event=event, channel="inbox", **filters)


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
    # An hour past the first reply's due time, counted in business days: three calendar days
    # after a Thursday in Shanghai are still before it.
    with time_machine.travel(late.first_response_due + timedelta(hours=1)):
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
