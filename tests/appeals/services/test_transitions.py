"""Each transition allowed, and each refused: wrong state, wrong role, same reviewer,
outside the window, a second open appeal. A refusal changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from appeals import services
from appeals.models import Appeal, AppealStatus, AppealTransition
from appeals.services import AppealPermissionDenied
from credit.models import CreditLineStatus
from tests.appeals import factories as f
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db
S = AppealStatus


def assert_refused(appeal, call, exc=ValidationError):
    status = appeal.status
    logged = AppealTransition.objects.filter(appeal=appeal).count()
    with pytest.raises(exc):
        call()
    appeal.refresh_from_db()
    assert appeal.status == status
    assert AppealTransition.objects.filter(appeal=appeal).count() == logged


# --- the happy transitions, each logged with who, from and to ---


def test_a_draft_is_started_on_the_borrowers_latest_adverse_decision():
    appeal = f.draft_appeal()
    assert appeal.status == S.DRAFT
    assert appeal.reference.startswith("A-")
    log = appeal.transitions.get()
    assert (log.from_status, log.to_status, log.actor) == ("draft", "draft", appeal.borrower)


def test_submitting_sets_due_dates_and_logs_the_borrower():
    with time_machine.travel("2026-11-27T10:00:00+08:00", tick=False):  # a Friday
        appeal = f.submitted_appeal()
    assert appeal.status == S.SUBMITTED
    local = timezone.localtime(appeal.first_response_due)
    assert local.strftime("%a %H:%M") == "Tue 10:00"  # two business days, weekend skipped
    assert appeal.resolution_due - appeal.submitted_at == timedelta(days=15)
    last = appeal.transitions.last()
    assert (last.from_status, last.to_status, last.actor) == ("draft", "submitted", appeal.borrower)


def test_agent_starts_review_and_takes_the_unassigned_appeal():
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    assert appeal.status == S.IN_REVIEW
    assert appeal.assignee == worker
    assert appeal.transitions.last().actor == worker


def test_request_info_pauses_the_clock_and_the_reply_resumes_it():
    worker = f.agent()
    with time_machine.travel("2026-11-23T10:00:00+08:00", tick=False):
        appeal = f.awaiting_appeal(worker=worker)
    due_before = appeal.resolution_due
    assert appeal.status == S.AWAITING_BORROWER
    assert appeal.borrower_reply_due is not None
    with time_machine.travel("2026-11-26T10:00:00+08:00", tick=False):
        services.appeal_borrower_message(appeal=appeal, actor=appeal.borrower, body="已补充")
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW
    assert appeal.resolution_due - due_before == timedelta(days=3)
    assert appeal.borrower_reply_due is None


def test_reviewer_approves_and_the_line_is_restored_in_the_same_transaction():
    appeal = f.in_review_appeal()
    decider = f.reviewer()
    appeal = services.appeal_approve(appeal=appeal, actor=decider, explanation="核实无误")
    appeal.line.refresh_from_db()
    assert appeal.status == S.APPROVED
    assert appeal.line.status == CreditLineStatus.ACTIVE
    decision = appeal.credit_decision
    assert (decision.trigger, decision.outcome, decision.actor) == ("appeal", "reinstate", decider)
    assert (decision.old_status, decision.new_status) == ("closing", "active")


def test_partial_approval_restores_with_a_lower_limit():
    appeal = f.in_review_appeal()
    appeal = services.appeal_partially_approve(
        appeal=appeal, actor=f.reviewer(), explanation="部分恢复", new_limit="8000.00"
    )
    appeal.line.refresh_from_db()
    assert appeal.status == S.PARTIALLY_APPROVED
    assert appeal.line.credit_limit == Decimal("8000.00")
    assert appeal.line.status == CreditLineStatus.ACTIVE
    assert appeal.credit_decision.new_limit == Decimal("8000.00")


@pytest.mark.parametrize("limit", ["0", "20000.00", "25000", "lots"])
def test_partial_approval_needs_a_limit_between_zero_and_the_old_one(limit):
    appeal = f.in_review_appeal()
    assert_refused(
        appeal,
        lambda: services.appeal_partially_approve(
            appeal=appeal, actor=f.reviewer(), explanation="x", new_limit=limit
        ),
    )
    appeal.line.refresh_from_db()
    assert appeal.line.status == CreditLineStatus.CLOSING


def test_a_denial_needs_a_reason_the_borrower_reads():
    appeal = f.in_review_appeal()
    assert_refused(
        appeal, lambda: services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation=" ")
    )


def test_withdraw_from_every_state_being_worked():
    for make in (f.submitted_appeal, f.in_review_appeal, f.awaiting_appeal):
        appeal = make()
        services.appeal_withdraw(appeal=appeal, actor=appeal.borrower)
        appeal.refresh_from_db()
        assert appeal.status == S.WITHDRAWN


def test_a_draft_is_discarded_never_withdrawn():
    for act in (services.appeal_discard, services.appeal_withdraw):
        draft = f.draft_appeal()
        act(appeal=draft, actor=draft.borrower)
        draft.refresh_from_db()
        assert draft.status == S.DISCARDED
        assert list(draft.transitions.values_list("to_status", flat=True)) == [
            S.DRAFT,
            S.DISCARDED,
        ]
    submitted = f.submitted_appeal()
    assert_refused(
        submitted, lambda: services.appeal_discard(appeal=submitted, actor=submitted.borrower)
    )


def test_second_review_by_a_different_supervisor():
    first = f.supervisor()
    appeal = f.denied_appeal(decider=first)
    appeal = services.appeal_request_second_review(
        appeal=appeal, actor=appeal.borrower, statement="请再看一次"
    )
    assert appeal.status == S.SECOND_REVIEW
    assert_refused(
        appeal,
        lambda: services.appeal_decide_second_review(
            appeal=appeal, actor=first, approve=True, explanation="same person"
        ),
        AppealPermissionDenied,
    )
    other = f.supervisor()
    appeal = services.appeal_decide_second_review(
        appeal=appeal, actor=other, approve=False, explanation="维持原决定"
    )
    assert appeal.status == S.DENIED_FINAL
    assert appeal.second_decided_by == other


def test_second_review_approval_restores_the_line():
    appeal = f.denied_appeal()
    services.appeal_request_second_review(appeal=appeal, actor=appeal.borrower)
    appeal = services.appeal_decide_second_review(
        appeal=appeal, actor=f.supervisor(), approve=True, explanation="复核通过"
    )
    appeal.line.refresh_from_db()
    assert appeal.status == S.APPROVED
    assert appeal.line.status == CreditLineStatus.ACTIVE


# --- refusals: wrong state ---


def test_wrong_states_are_refused():
    draft = f.draft_appeal()
    worker = f.agent()
    decider = f.reviewer()
    assert_refused(draft, lambda: services.appeal_start_review(appeal=draft, actor=worker))
    assert_refused(
        draft, lambda: services.appeal_approve(appeal=draft, actor=decider, explanation="x")
    )
    submitted = f.submitted_appeal()
    assert_refused(
        submitted, lambda: services.appeal_submit(appeal=submitted, actor=submitted.borrower)
    )
    assert_refused(
        submitted,
        lambda: services.appeal_deny(appeal=submitted, actor=decider, explanation="x"),
    )
    assert_refused(
        submitted,
        lambda: services.appeal_request_info(appeal=submitted, actor=worker, request="x"),
    )
    assert_refused(
        submitted,
        lambda: services.appeal_request_second_review(appeal=submitted, actor=submitted.borrower),
    )
    awaiting = f.awaiting_appeal()
    assert_refused(
        awaiting, lambda: services.appeal_approve(appeal=awaiting, actor=decider, explanation="x")
    )
    denied = f.denied_appeal()
    assert_refused(denied, lambda: services.appeal_withdraw(appeal=denied, actor=denied.borrower))
    assert_refused(
        denied,
        lambda: services.appeal_decide_second_review(
            appeal=denied, actor=f.supervisor(), approve=True, explanation="x"
        ),
    )


def test_a_submission_needs_grounds_and_a_statement():
    appeal = f.draft_appeal(grounds=(), statement="")
    with pytest.raises(ValidationError) as exc:
        services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    assert set(exc.value.message_dict) == {"grounds", "statement"}
    appeal.refresh_from_db()
    assert appeal.status == S.DRAFT


# --- refusals: wrong role ---


def test_wrong_roles_are_refused():
    appeal = f.in_review_appeal()
    agent, auditor, stranger = f.agent(), f.auditor(), BorrowerFactory()
    for actor in (agent, auditor, appeal.borrower, stranger):
        assert_refused(
            appeal,
            lambda actor=actor: services.appeal_approve(
                appeal=appeal, actor=actor, explanation="x"
            ),
            AppealPermissionDenied,
        )
        assert_refused(
            appeal,
            lambda actor=actor: services.appeal_deny(appeal=appeal, actor=actor, explanation="x"),
            AppealPermissionDenied,
        )
    for actor in (auditor, appeal.borrower):
        assert_refused(
            appeal,
            lambda actor=actor: services.appeal_request_info(
                appeal=appeal, actor=actor, request="x"
            ),
            AppealPermissionDenied,
        )
    # A reviewer cannot decide a second review; only supervisors.
    denied = f.denied_appeal()
    services.appeal_request_second_review(appeal=denied, actor=denied.borrower)
    denied.refresh_from_db()
    assert_refused(
        denied,
        lambda: services.appeal_decide_second_review(
            appeal=denied, actor=f.reviewer(), approve=True, explanation="x"
        ),
        AppealPermissionDenied,
    )


def test_only_the_borrower_submits_withdraws_and_asks_for_second_review():
    draft = f.draft_appeal()
    other = BorrowerFactory()
    assert_refused(
        draft, lambda: services.appeal_submit(appeal=draft, actor=other), AppealPermissionDenied
    )
    assert_refused(
        draft,
        lambda: services.appeal_withdraw(appeal=draft, actor=f.agent()),
        AppealPermissionDenied,
    )
    denied = f.denied_appeal()
    assert_refused(
        denied,
        lambda: services.appeal_request_second_review(appeal=denied, actor=other),
        AppealPermissionDenied,
    )


# --- refusals: windows ---


def test_outside_the_appeal_window_no_appeal_can_start_or_be_submitted():
    appeal = f.draft_appeal()
    decision = appeal.decision
    later = decision.created_at + timedelta(days=61)
    with time_machine.travel(later, tick=False):
        assert_refused(appeal, lambda: services.appeal_submit(appeal=appeal, actor=appeal.borrower))
        services.appeal_withdraw(appeal=appeal, actor=appeal.borrower)
        with pytest.raises(ValidationError, match="can no longer be appealed"):
            services.appeal_create(
                borrower=appeal.borrower, decision=decision, grounds=["other"], statement="x"
            )


def test_second_review_only_within_14_days_of_the_denial():
    appeal = f.denied_appeal()
    with time_machine.travel(appeal.decided_at + timedelta(days=14, minutes=1), tick=False):
        assert_refused(
            appeal,
            lambda: services.appeal_request_second_review(appeal=appeal, actor=appeal.borrower),
        )


def test_a_decision_that_is_not_adverse_cannot_be_appealed():
    from tests.credit.story import restored_line

    line = restored_line()
    with pytest.raises(ValidationError):
        services.appeal_create(
            borrower=line.borrower, decision=f.latest_decision(line), grounds=["other"]
        )
    assert not Appeal.objects.exists()


def test_another_borrowers_decision_cannot_be_appealed():
    line = f.closing_line()
    with pytest.raises(AppealPermissionDenied):
        services.appeal_create(borrower=BorrowerFactory(), decision=f.latest_decision(line))
    assert not Appeal.objects.exists()


# --- one open appeal per line ---


def test_a_second_open_appeal_on_the_same_line_is_refused():
    appeal = f.submitted_appeal()
    with pytest.raises(ValidationError, match="already have an open appeal"):
        services.appeal_create(borrower=appeal.borrower, decision=appeal.decision)
    assert Appeal.objects.count() == 1


def test_the_database_holds_one_open_appeal_per_line():
    appeal = f.draft_appeal()
    twin = Appeal(borrower=appeal.borrower, line=appeal.line, decision=appeal.decision)
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_decided_decision_is_not_appealed_twice_but_a_withdrawn_one_can_be():
    appeal = f.denied_appeal()
    with pytest.raises(ValidationError, match="already been appealed"):
        services.appeal_create(borrower=appeal.borrower, decision=appeal.decision)
    withdrawn = f.draft_appeal()
    services.appeal_withdraw(appeal=withdrawn, actor=withdrawn.borrower)
    again = services.appeal_create(borrower=withdrawn.borrower, decision=withdrawn.decision)
    assert again.status == S.DRAFT


def test_survey_once_after_resolution_with_a_rating_from_1_to_5():
    appeal = f.in_review_appeal()
    with pytest.raises(ValidationError):
        services.survey_submit(appeal=appeal, actor=appeal.borrower, rating=5)
    appeal = services.appeal_approve(appeal=appeal, actor=f.reviewer(), explanation="ok")
    for bad in (0, 6, "x"):
        with pytest.raises(ValidationError):
            services.survey_submit(appeal=appeal, actor=appeal.borrower, rating=bad)
    with pytest.raises(AppealPermissionDenied):
        services.survey_submit(appeal=appeal, actor=BorrowerFactory(), rating=4)
    survey = services.survey_submit(appeal=appeal, actor=appeal.borrower, rating=4, comment="快")
    assert survey.rating == 4
    with pytest.raises(ValidationError, match="already answered"):
        services.survey_submit(appeal=appeal, actor=appeal.borrower, rating=5)


def test_assignment_tells_the_assignee_unless_they_took_it_themselves():
    from notifications.models import Notification

    appeal = f.submitted_appeal()
    lead, worker = f.supervisor(), f.agent()
    services.appeal_assign(appeal=appeal, assignee=worker, actor=lead)
    appeal.refresh_from_db()
    assert appeal.assignee == worker
    row = Notification.objects.get(recipient=worker, event="staff.appeal_assigned", channel="inbox")
    assert row.context["appeal_reference"] == appeal.reference
    services.appeal_assign(appeal=appeal, assignee=lead, actor=lead)
    assert not Notification.objects.filter(recipient=lead).exists()
    with pytest.raises(ValidationError):
        services.appeal_assign(appeal=appeal, assignee=f.auditor(), actor=lead)
    with pytest.raises(AppealPermissionDenied):
        services.appeal_assign(appeal=appeal, assignee=worker, actor=f.auditor())


def test_a_second_review_request_tells_the_other_supervisors():
    from notifications.models import Notification

    first, other = f.supervisor(), f.supervisor()
    appeal = f.denied_appeal(decider=first)
    services.appeal_request_second_review(appeal=appeal, actor=appeal.borrower)
    told = set(
        Notification.objects.filter(event="staff.decision_review_needed").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {other.pk}
