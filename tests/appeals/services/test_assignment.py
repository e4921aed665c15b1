"""Every assignment writes its AppealAssignment row, since the least-loaded rule reads those
rows (issue 9, fix 4)."""

import pytest

from appeals import services
from appeals.models import Appeal, AppealAssignment
from tests.appeals import factories as f

pytestmark = pytest.mark.django_db


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
