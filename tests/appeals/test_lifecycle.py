"""The whole story on PostgreSQL with a real Celery worker on Redis; staff steps are driven
through the services. Delivery (email, SMS) and the re-evaluation on submission run in the
worker."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from appeals import services
from appeals.models import Appeal, AppealStatus
from credit import holds
from credit.models import CreditDecision, CreditLineStatus
from credit.services import credit_lines_close_due
from notifications.models import Notification
from tests.appeals import factories as f
from tests.appeals.files import jpeg, pdf
from tests.conftest import wait_until
from tests.credit.story import closing_line

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(settings, celery_worker_process):
    # SMS go out at once (no quiet hours) so every row can be seen delivered.
    settings.NOTIFICATIONS_QUIET_HOURS_START = "00:00"
    settings.NOTIFICATIONS_QUIET_HOURS_END = "00:00"
    return celery_worker_process


def wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    wait_until(predicate, what, timeout)


def _all_delivered(recipient) -> bool:
    rows = Notification.objects.filter(recipient=recipient)
    return rows.exists() and not rows.exclude(status="sent").exists()


def _sent_once(recipient) -> Counter:
    """Each message (event, what it is about, channel) exists once; counts per event."""
    rows = list(
        Notification.objects.filter(recipient=recipient).values_list(
            "event", "dedupe_key", "channel"
        )
    )
    counts = Counter(rows)
    assert all(n == 1 for n in counts.values()), counts
    return Counter(event for event, _, _ in rows)


def test_approval_path(worker):
    line = closing_line(days_ago=7)
    borrower = line.borrower
    assert line.status == CreditLineStatus.CLOSING

    # The borrower files an appeal with evidence and submits it.
    appeal = f.draft_appeal(line=line, grounds=("closed_other_loans",))
    services.evidence_add(appeal=appeal, actor=borrower, upload=pdf())
    services.appeal_submit(appeal=appeal, actor=borrower)
    # The worker re-evaluates the line: the decision still stands, so a person decides.
    wait_for(
        lambda: Appeal.objects.get(pk=appeal.pk).auto_reviewed_at is not None, "the auto review"
    )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.SUBMITTED
    assert holds.holds_for([line.pk])[line.pk][0].name == "open_appeal"

    # The line's notice period ends while the appeal is open: the closure is held.
    summary = credit_lines_close_due(
        line_ids=[line.pk], now=line.closing_effective_at + timedelta(minutes=1)
    )
    assert summary.held == 1 and summary.closed == 0

    agent, decider = f.agent(), f.reviewer()
    services.appeal_start_review(appeal=appeal, actor=agent)
    services.appeal_request_info(appeal=appeal, actor=agent, request="请上传结清证明。")
    services.evidence_add(appeal=appeal, actor=borrower, upload=jpeg("结清证明.jpg"))
    services.appeal_borrower_message(appeal=appeal, actor=borrower, body="已上传结清证明。")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.IN_REVIEW
    appeal = services.appeal_approve(appeal=appeal, actor=decider, explanation="结清证明有效。")

    line.refresh_from_db()
    assert appeal.status == AppealStatus.APPROVED
    assert line.status == CreditLineStatus.ACTIVE
    assert appeal.credit_decision.trigger == "appeal"
    assert holds.holds_for([line.pk]) == {}
    assert appeal.evidence.count() == 2

    wait_for(lambda: _all_delivered(borrower), "every notification delivered")
    events = _sent_once(borrower)
    assert events == {
        "credit.closure_scheduled": 3,  # email + SMS + inbox
        "appeal.submitted": 2,  # email + inbox
        "appeal.info_requested": 3,  # email + SMS + inbox
        "appeal.decided": 3,  # the approval told once per channel, with no credit.reinstated
        "appeal.survey_requested": 2,
    }
    transitions = list(appeal.transitions.values_list("from_status", "to_status"))
    assert transitions == [
        ("draft", "draft"),
        ("draft", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "awaiting_borrower"),
        ("awaiting_borrower", "in_review"),
        ("in_review", "approved"),
    ]


def test_denial_path_with_second_review(worker):
    line = closing_line(days_ago=28)  # two days of notice left
    borrower = line.borrower
    original = line.closing_effective_at
    appeal = f.submitted_appeal(line=line)
    wait_for(
        lambda: Appeal.objects.get(pk=appeal.pk).auto_reviewed_at is not None, "the auto review"
    )
    first, second = f.supervisor(), f.supervisor()
    services.appeal_start_review(appeal=appeal, actor=f.agent())
    before = timezone.now()
    appeal = services.appeal_deny(appeal=appeal, actor=first, explanation="多头借贷仍未结清。")
    line.refresh_from_db()

    # Hold released; the closure moved to 7 days after the borrower was told.
    assert holds.holds_for([line.pk]) == {}
    assert line.closing_effective_at > original
    assert (
        before + timedelta(days=7)
        <= line.closing_effective_at
        <= timezone.now() + timedelta(days=7)
    )
    postponed = CreditDecision.objects.filter(line=line, trigger="appeal").get()
    assert postponed.actor == first

    services.appeal_request_second_review(appeal=appeal, actor=borrower, statement="请复核")
    assert holds.holds_for([line.pk])[line.pk][0].name == "open_appeal"
    with pytest.raises(services.AppealPermissionDenied):
        services.appeal_decide_second_review(
            appeal=appeal, actor=first, approve=False, explanation="same"
        )
    appeal = services.appeal_decide_second_review(
        appeal=appeal, actor=second, approve=False, explanation="复核维持原决定。"
    )
    assert appeal.status == AppealStatus.DENIED_FINAL
    assert appeal.second_decided_by == second

    wait_for(lambda: _all_delivered(borrower), "every notification delivered")
    events = _sent_once(borrower)
    assert events["appeal.decided"] == 6  # first decision and second review, 3 channels each
    assert events["appeal.survey_requested"] == 2  # asked once
