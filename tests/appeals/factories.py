"""Appeals in each state, reached through the real services."""

from accounts.roles import AGENT, AUDITOR, REVIEWER, SUPERVISOR, sync_staff_groups
from appeals import services
from credit.models import CreditDecision
from tests.credit.story import closing_line
from tests.factories import BorrowerFactory, StaffFactory

STATEMENT = "我一直按时还款，其他平台的借款已经全部结清。"


def staff(role: str, **kwargs):
    sync_staff_groups()  # transactional tests flush the groups the migration made
    return StaffFactory(role=role, **kwargs)


def agent(**kw):
    return staff(AGENT, **kw)


def reviewer(**kw):
    return staff(REVIEWER, **kw)


def supervisor(**kw):
    return staff(SUPERVISOR, **kw)


def auditor(**kw):
    return staff(AUDITOR, **kw)


def latest_decision(line) -> CreditDecision:
    return line.decisions.order_by("-created_at", "-id").first()


def draft_appeal(*, borrower=None, line=None, grounds=("repaid_on_time",), statement=STATEMENT):
    if line is None:
        line = closing_line(borrower=borrower or BorrowerFactory())
    return services.appeal_create(
        borrower=line.borrower,
        decision=latest_decision(line),
        grounds=list(grounds),
        statement=statement,
    )


def submitted_appeal(**kwargs):
    appeal = draft_appeal(**kwargs)
    return services.appeal_submit(appeal=appeal, actor=appeal.borrower)


def in_review_appeal(*, worker=None, **kwargs):
    appeal = submitted_appeal(**kwargs)
    return services.appeal_start_review(appeal=appeal, actor=worker or agent())


def awaiting_appeal(*, worker=None, **kwargs):
    worker = worker or agent()
    appeal = in_review_appeal(worker=worker, **kwargs)
    return services.appeal_request_info(
        appeal=appeal, actor=worker, request="请上传其他平台的结清证明。"
    )


def denied_appeal(*, decider=None, **kwargs):
    appeal = in_review_appeal(**kwargs)
    return services.appeal_deny(
        appeal=appeal, actor=decider or reviewer(), explanation="多头借贷记录仍然存在。"
    )
