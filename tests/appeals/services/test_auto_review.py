"""On submission the line is re-evaluated; if the decision no longer stands the appeal is
approved automatically. Never a denial."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appeals import services
from appeals.models import AppealStatus
from credit.models import CreditLineStatus
from notifications.models import Notification
from tests.appeals import factories as f
from tests.credit.factories import at, close_external_loans

pytestmark = pytest.mark.django_db


def _reasons_cleared(line):
    close_external_loans(line, when=at(timezone.localdate() - timedelta(days=1)))


def test_submission_queues_the_review_which_approves_when_the_reasons_are_gone(
    django_capture_on_commit_callbacks,
):
    appeal = f.draft_appeal()
    _reasons_cleared(appeal.line)
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    appeal.refresh_from_db()
    appeal.line.refresh_from_db()
    assert appeal.status == AppealStatus.AUTO_APPROVED
    assert appeal.line.status == CreditLineStatus.ACTIVE
    assert appeal.credit_decision.trigger == "appeal"
    assert appeal.credit_decision.outcome == "reinstate"
    log = appeal.transitions.last()
    assert (log.from_status, log.to_status, log.actor) == ("submitted", "auto_approved", None)
    decided = Notification.objects.get(event="appeal.decided", channel="inbox")
    assert decided.context["outcome"] == "approved"
    assert Notification.objects.filter(event="appeal.survey_requested").exists()


def test_when_the_decision_still_stands_the_appeal_waits_for_a_person():
    appeal = f.submitted_appeal()
    result = services.appeal_auto_review(appeal_id=appeal.pk)
    assert result.status == AppealStatus.SUBMITTED
    assert result.auto_reviewed_at is not None
    result.line.refresh_from_db()
    assert result.line.status == CreditLineStatus.CLOSING
    assert not Notification.objects.filter(event="appeal.decided").exists()


def test_the_review_runs_once_and_only_on_a_submitted_appeal():
    appeal = f.submitted_appeal()
    services.appeal_auto_review(appeal_id=appeal.pk)
    _reasons_cleared(appeal.line)
    again = services.appeal_auto_review(appeal_id=appeal.pk)  # a duplicate task
    assert again.status == AppealStatus.SUBMITTED
    draft = f.draft_appeal()
    assert services.appeal_auto_review(appeal_id=draft.pk).status == AppealStatus.DRAFT
    assert services.appeal_auto_review(appeal_id=999999) is None


def test_the_task_is_idempotent():
    from appeals.tasks import auto_review

    appeal = f.draft_appeal()
    _reasons_cleared(appeal.line)
    services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    assert auto_review.apply(args=[appeal.pk]).get() == "auto_approved"
    assert auto_review.apply(args=[appeal.pk]).get() == "auto_approved"
    assert Notification.objects.filter(event="appeal.decided", channel="inbox").count() == 1
