"""What the service tests share: a clean line, one re-evaluation, a line being closed.
(The frozen clock at NOW is the `clock` fixture in tests/credit/conftest.py.)"""

from datetime import date, timedelta

from credit import services
from tests.credit.conftest import NOW
from tests.credit.factories import make_line, multi_lending, repayments


def clean_line(**kw):
    """Ten months of on-time repayments: the v1 scorecard keeps it (score 810)."""
    line = make_line(opened_at=NOW - timedelta(days=320), **kw)
    repayments(line, first_due=date(2025, 2, 10), count=10)
    return line


def reevaluate(line, trigger="event"):
    summary = services.credit_lines_reevaluate(line_ids=[line.pk], trigger=trigger)
    line.refresh_from_db()
    return summary.decisions[0] if summary.decisions else None


def closing_decision():
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    return line, reevaluate(line)


KEY_CUSTOMER_SEGMENT = {
    "name": "key_customer",
    "conditions": [{"feature": "key_customer", "op": "eq", "value": True}],
    "review": True,
    "closure_buffer_days": 60,
}


def activate_policy(**changes):
    """A new policy version: v1 with `changes` (e.g. segments=[...]), through the real services
    (a maker puts it forward, a checker activates it). Returns the active version."""
    from credit.models import DecisionPolicy
    from tests.factories import StaffFactory

    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    for name, value in changes.items():
        setattr(policy, name, value)
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory())
    return services.policy_activate(policy=policy, actor=StaffFactory())


def with_key_customer_segment():
    """The active policy gains a key-customer segment (reviewed first) before v1's segments."""
    from credit.models import DecisionPolicy

    v1 = DecisionPolicy.objects.get(version=1)
    return activate_policy(segments=[KEY_CUSTOMER_SEGMENT, *v1.segments])
