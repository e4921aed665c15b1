"""Assignment: least-loaded on submission, manual, reassignment, agents away. Every
assignment writes its AppealAssignment row, since the least-loaded rule reads those rows
(issue 9, fix 4)."""

from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from appeals import services
from appeals.models import (
    Appeal,
    AppealAssignment,
    AppealStatus,
)
from appeals.services import AppealPermissionDenied
from notifications.models import Notification
from tests.appeals import factories as f

pytestmark = pytest.mark.django_db
S = AppealStatus


def notices(event, **filters):
    return Notification.objects.filter(event=event, channel="inbox", **filters)


def test_a_manual_assignment_is_logged():
    supervisor, agent = f.supervisor(), f.agent()
    appeal = f.submitted_appeal()  # goes to `agent` automatically, logged
    other = f.agent()
    services.appeal_assign(appeal=appeal, assignee=other, actor=supervisor)
    log = AppealAssignment.objects.filter(appeal=appeal).order_by("at", "id").last()
    assert (log.from_assignee, log.to_assignee, log.actor) == (agent, other, supervisor)


def test_taking_an_unassigned_appeal_into_review_is_logged():
    appeal = f.submitted_appeal()  # no agent yet: it waits unassigned
    assert appeal.assignee is None
    reviewer = f.agent()
    services.appeal_start_review(appeal=appeal, actor=reviewer)
    log = AppealAssignment.objects.get(appeal=appeal)
    assert (log.from_assignee, log.to_assignee, log.actor) == (None, reviewer, reviewer)


def test_the_least_loaded_rule_sees_self_assignments():
    # Once nothing is being worked, ties go to whoever was given an appeal least recently.
    # `second` took one into review after `first` was dealt one, so `first` is next; were the
    # self-assignment missing from the log, `second` would count as never assigned and win.
    first, second = f.agent(), f.agent()
    given = f.submitted_appeal()  # dealt to `first` (lowest id, never assigned)
    assert given.assignee == first
    Appeal.objects.filter(pk=given.pk).update(assignee=None)
    services.appeal_start_review(appeal=given, actor=second)  # self-assignment, logged
    for appeal in Appeal.objects.all():
        services.appeal_withdraw(appeal=appeal, actor=appeal.borrower)
    nxt = f.submitted_appeal()
    assert nxt.assignee == first


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
