"""One act, one outcome message per channel: an appeal's outcome is told by the appeal's own
message, not also by a credit notice for the decision the appeal took on the line."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from appeals import services
from appeals.models import AppealStatus
from credit import services as credit_services
from credit.models import CreditLineStatus
from notifications.models import Notification
from tests.appeals import factories as f
from tests.credit.factories import at, close_external_loans
from tests.credit.story import closing_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def credit_notices():
    """Credit's notices go through the real notify() here: every outbox row is counted."""
    return None


def _is_outcome(event: str) -> bool:
    """Messages that tell the borrower what happened to the line (not receipts or surveys)."""
    return event.startswith("credit.") or event == "appeal.decided"


def _outcome_rows_since(borrower, last_id: int) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(recipient=borrower, pk__gt=last_id).values_list(
        "event", "channel"
    )
    return sorted((event, channel) for event, channel in rows if _is_outcome(event))


def _last_id() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _one_per_channel(rows: list[tuple[str, str]]) -> None:
    per_channel = Counter(channel for _, channel in rows)
    assert per_channel and set(per_channel.values()) == {1}, rows
    assert {event for event, _ in rows} == {"appeal.decided"}, rows


def test_an_approval_by_a_reviewer_sends_one_outcome_message_per_channel():
    appeal = f.submitted_appeal()
    borrower = appeal.borrower
    services.appeal_start_review(appeal=appeal, actor=f.agent())
    before = _last_id()

    appeal = services.appeal_approve(appeal=appeal, actor=f.reviewer(), explanation="核实无误。")

    assert appeal.status == AppealStatus.APPROVED
    rows = _outcome_rows_since(borrower, before)
    _one_per_channel(rows)
    assert {channel for _, channel in rows} == {"email", "sms", "inbox"}
    # The sweep of decisions without a notice does not send the approval's decision later.
    assert credit_services.decision_notices_sweep() == 0
    assert _outcome_rows_since(borrower, before) == rows


def test_the_automatic_approval_on_submission_sends_one_outcome_message_per_channel(
    django_capture_on_commit_callbacks,
):
    appeal = f.draft_appeal()
    borrower = appeal.borrower
    close_external_loans(appeal.line, when=at(timezone.localdate() - timedelta(days=1)))
    before = _last_id()

    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_submit(appeal=appeal, actor=borrower)

    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.AUTO_APPROVED
    rows = _outcome_rows_since(borrower, before)
    _one_per_channel(rows)
    assert credit_services.decision_notices_sweep() == 0
    assert _outcome_rows_since(borrower, before) == rows


def test_a_denial_that_postpones_the_closure_tells_the_new_date_in_its_own_message():
    line = closing_line(days_ago=28)  # two days of notice left: the denial postpones it
    appeal = f.submitted_appeal(line=line)
    services.appeal_start_review(appeal=appeal, actor=f.agent())
    before = _last_id()

    services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="多头借贷仍未结清。")

    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING
    assert line.decisions.filter(trigger="appeal").exists()  # the postponement
    rows = _outcome_rows_since(line.borrower, before)
    _one_per_channel(rows)
    # The postponement is not "repaired" by the sweep with a second closure notice.
    assert credit_services.decision_notices_sweep() == 0
    assert _outcome_rows_since(line.borrower, before) == rows
