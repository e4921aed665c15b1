"""Credit notices through the real notifications app."""

from datetime import timedelta
from decimal import Decimal

import pytest

from credit import services
from tests.credit.conftest import NOW
from tests.credit.factories import event, multi_lending
from tests.credit.services.support import clean_line, reevaluate

pytestmark = pytest.mark.django_db


def test_every_credit_notice_is_accepted_and_lands_in_the_borrowers_messages(clock, staff_user):
    from notifications.models import Notification

    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    reevaluate(line)  # closure scheduled
    for platform in ("PlatformA", "PlatformB", "PlatformC"):
        event(
            line,
            "external_loan_closed",
            NOW - timedelta(hours=2),
            platform=platform,
            loan_id=f"{platform}-L1",
        )
    reevaluate(line)  # reinstated
    services.credit_line_decide(
        line=line,
        outcome="reduce_limit",
        trigger="staff",
        reason_codes=["policy_adjustment"],
        new_limit=Decimal("9000"),
    )
    services.credit_line_decide(
        line=line, outcome="freeze", trigger="campaign", reason_codes=["policy_adjustment"]
    )
    services.credit_line_decide(
        line=line, outcome="reinstate", trigger="correction", reason_codes=["system_error"]
    )
    services.credit_line_decide(
        line=line,
        outcome="schedule_closure",
        trigger="staff",
        reason_codes=["regulatory_requirement"],
    )
    inbox = Notification.objects.filter(recipient=line.borrower, channel="inbox")
    assert list(inbox.order_by("id").values_list("event", flat=True)) == [
        "credit.closure_scheduled",
        "credit.reinstated",
        "credit.limit_reduced",
        "credit.frozen",
        "credit.system_error_corrected",
        "credit.closed",
    ]
    scheduled = inbox.get(event="credit.closure_scheduled")
    assert scheduled.context["closing_effective_on"] == "2026-01-04"
    assert scheduled.context["appeal_by"] == "2026-02-03"
    assert "2026" in scheduled.body_text
