"""What the lender receives for decisions and appeal steps: written by the acts themselves,
in the line's order, with the data the core system needs to follow the line."""

from decimal import Decimal

import pytest

from appeals import services as appeal_services
from credit import services as credit_services
from tests.appeals.factories import in_review_appeal, reviewer, submitted_appeal
from tests.credit.factories import make_line
from webhooks.models import WebhookMessage


def _messages(line_id):
    return list(WebhookMessage.objects.filter(line_id=line_id).order_by("sequence"))


@pytest.mark.django_db
def test_a_staff_decision_tells_old_and_new_state_decision_and_reasons():
    line = make_line(credit_limit="20000.00")
    decision = credit_services.credit_line_decide(
        line=line,
        outcome="reduce_limit",
        trigger="staff",
        reason_codes=["policy_adjustment"],
        new_limit=Decimal("8000.00"),
    )

    [message] = _messages(line.pk)
    assert message.event_type == "credit_line.changed"
    data = message.payload["data"]
    assert data["decision_id"] == decision.pk
    assert data["customer_id"] == line.borrower.customer_id
    assert (data["change"], data["trigger"]) == ("reduce_limit", "staff")
    assert (data["old_limit"], data["new_limit"]) == ("20000.00", "8000.00")
    assert (data["old_status"], data["new_status"]) == ("active", "active")
    assert data["reason_codes"] == ["policy_adjustment"]
    assert data["sequence"] == 1


@pytest.mark.django_db
def test_a_correction_is_its_own_event_type():
    line = make_line()
    credit_services.credit_line_decide(
        line=line, outcome="freeze", trigger="staff", reason_codes=["policy_adjustment"]
    )
    credit_services.credit_line_decide(
        line=line, outcome="reinstate", trigger="correction", reason_codes=["system_error"]
    )

    assert [m.event_type for m in _messages(line.pk)] == [
        "credit_line.changed",
        "credit_line.corrected",
    ]
    assert [m.sequence for m in _messages(line.pk)] == [1, 2]


@pytest.mark.django_db
def test_an_appeal_holds_the_closure_and_its_approval_restores_the_line():
    appeal = submitted_appeal()
    line_id = appeal.line_id
    kinds = [m.event_type for m in _messages(line_id)]
    assert kinds == ["credit_line.changed", "appeal.opened", "credit_line.closure_held"]

    appeal = appeal_services.appeal_start_review(appeal=appeal, actor=reviewer())
    appeal_services.appeal_approve(appeal=appeal, actor=reviewer(), explanation="已核实按时还款。")

    messages = _messages(line_id)
    assert [m.event_type for m in messages[3:]] == ["credit_line.changed", "appeal.decided"]
    assert messages[3].payload["data"]["trigger"] == "appeal"
    assert messages[3].payload["data"]["new_status"] == "active"
    decided = messages[4].payload["data"]
    assert decided["status"] == "approved"
    assert decided["outcome_decision_id"] == messages[3].payload["data"]["decision_id"]
    assert [m.sequence for m in messages] == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_a_denied_appeal_releases_the_closure():
    appeal = in_review_appeal()
    appeal_services.appeal_deny(
        appeal=appeal, actor=reviewer(), explanation="多头借贷记录仍然存在。"
    )

    kinds = [m.event_type for m in _messages(appeal.line_id)]
    assert kinds[-2:] == ["appeal.decided", "credit_line.closure_released"]


@pytest.mark.django_db
def test_a_batch_of_messages_numbers_each_line_on_from_its_last():
    from webhooks.services.outbox import Outgoing, emit_many

    first, second = make_line(), make_line()
    credit_services.credit_line_decide(
        line=first, outcome="freeze", trigger="staff", reason_codes=["policy_adjustment"]
    )
    sent = emit_many(
        [
            Outgoing("credit_line.changed", first.pk, {}),
            Outgoing("credit_line.changed", second.pk, {}),
            Outgoing("credit_line.corrected", first.pk, {}),
        ]
    )
    assert [(m.line_id, m.sequence) for m in sent] == [(first.pk, 2), (second.pk, 1), (first.pk, 3)]
    assert [m.sequence for m in _messages(first.pk)] == [1, 2, 3]
    assert [m.payload["data"]["sequence"] for m in _messages(first.pk)] == [1, 2, 3]
