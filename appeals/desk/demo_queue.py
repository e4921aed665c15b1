"""A working day for the demo desk: some 60 appeals across every state, age and clock
condition (breached, paused, extended, ready for decision, borrower replied, second review),
dealt round three agents. Built through the services (borrowers' closures come from an
upstream overdue event and the scorecard); only the ages are simulated, by moving due times
into the past. Idempotent: skipped when the queue's borrowers already have appeals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from accounts.demo import DEMO_PASSWORD
from credit import services as credit
from credit.ingestion.services import credit_events_ingest

from .. import services
from ..models import Appeal

COUNT = 60
PREFIX = "Q-2"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
LATIN = ("Emma Wang", "Lucas Chen", "Olivia Zhang", "Noah Li", "Mia Liu", "Ethan Huang")
AGENTS = (("agent2@demo.recourse", "Agent Qin"), ("agent3@demo.recourse", "Agent Xu"))
# One plan per appeal, in order: what happens to it after submission.
PLAN = (
    ["submitted"] * 6
    + ["submitted-breached"] * 2
    + ["review"] * 6
    + ["review-breached"] * 5
    + ["replied"] * 5
    + ["ready"] * 3
    + ["extended"] * 3
    + ["awaiting"] * 8
    + ["approved"] * 6
    + ["partial"] * 2
    + ["denied"] * 5
    + ["second_review"] * 4
    + ["withdrawn"] * 3
    + ["denied_final"] * 2
)


def _staff(email: str, name: str, role: str):
    user, created = get_user_model().objects.get_or_create(
        email=email, defaults={"full_name": name, "is_staff": True, "preferred_language": "en"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user.groups.set([Group.objects.get(name=role)])
    return user


def _borrower(i: int):
    name = (
        LATIN[i % len(LATIN)]
        if i % 7 == 3
        else SURNAMES[i % 20] + GIVEN[i % 20] + GIVEN[(i * 7) % 20]
    )
    user, _created = get_user_model().objects.get_or_create(
        customer_id=f"{PREFIX}{i:03d}",
        defaults={
            "email": f"queue{i:03d}@demo.recourse",
            "full_name": name,
            "phone": f"+86137000{2000 + i:04d}",
            "preferred_language": "en" if i % 7 == 3 else "zh-hans",
        },
    )
    return user


def _closing_lines(borrowers, now):
    """Each borrower's line, closed down by an overdue elsewhere (a knock-out rule)."""
    lines = []
    for b in borrowers:
        line, _created = credit.credit_line_upsert(
            borrower=b, credit_limit=Decimal("20000.00"), balance=Decimal("2000.00")
        )
        lines.append(line)
    credit_events_ingest(
        items=[
            {
                "source": "demo-queue",
                "external_id": f"{b.customer_id}-overdue",
                "customer_id": b.customer_id,
                "kind": "external_overdue",
                "occurred_at": (now - timedelta(days=3)).isoformat(),
                "data": {"days_past_due": 95, "amount": "6800.00", "platform": "QuickCash B"},
            }
            for b in borrowers
        ],
        origin="seed_demo",
        now=now,
    )
    credit.credit_lines_reevaluate(line_ids=[line.pk for line in lines], trigger="event")
    return lines


def _age(appeal: Appeal, *, hours: int) -> None:
    """Simulate a case that has waited: its due times `hours` in the past."""
    now = timezone.now()
    Appeal.objects.filter(pk=appeal.pk).update(
        first_response_due=now - timedelta(hours=hours),
        resolution_due=now - timedelta(hours=max(hours - 48, 1)),
        submitted_at=now - timedelta(days=10),
    )


def _work(appeal, plan: str, *, agent, reviewer, supervisor) -> None:
    borrower = appeal.borrower
    if plan == "submitted-breached":
        _age(appeal, hours=30)
    if plan.startswith("submitted"):
        return
    if plan == "withdrawn":
        services.appeal_withdraw(appeal=appeal, actor=borrower)
        return
    appeal = services.appeal_start_review(appeal=appeal, actor=agent)
    if plan == "review-breached":
        _age(appeal, hours=72)
    elif plan in ("replied", "awaiting"):
        appeal = services.appeal_request_info(
            appeal=appeal, actor=agent, request="请上传其他平台借款的结清证明。"
        )
        if plan == "replied":
            services.appeal_borrower_message(
                appeal=appeal, actor=borrower, body="结清证明已上传，请查收。"
            )
    elif plan == "ready":
        services.appeal_mark_ready_for_decision(
            appeal=appeal, actor=agent, summary="结清证明与征信记录一致，建议恢复额度。"
        )
    elif plan == "extended":
        services.appeal_extend(appeal=appeal, actor=reviewer, reason="需要向征信机构核实逾期记录。")
    elif plan == "approved":
        services.appeal_approve(appeal=appeal, actor=reviewer, explanation="逾期记录已更正。")
    elif plan == "partial":
        services.appeal_partially_approve(
            appeal=appeal, actor=reviewer, explanation="部分恢复额度。", new_limit=Decimal("8000")
        )
    elif plan in ("denied", "second_review", "denied_final"):
        appeal = services.appeal_deny(
            appeal=appeal, actor=reviewer, explanation="逾期记录属实，原决定维持。"
        )
        if plan != "denied":
            appeal = services.appeal_request_second_review(
                appeal=appeal, actor=borrower, statement="逾期已还清，请复核。"
            )
        if plan == "denied_final":
            services.appeal_decide_second_review(
                appeal=appeal, actor=supervisor, approve=False, explanation="复核后维持原决定。"
            )


def seed_queue(stdout=None) -> int:
    """About 60 appeals in every state for the demo desk; returns how many it made."""
    if Appeal.objects.filter(borrower__customer_id__startswith=PREFIX).exists():
        return 0
    agents = [_staff(email, name, roles.AGENT) for email, name in AGENTS]
    reviewer = get_user_model().objects.filter(groups__name=roles.REVIEWER, is_staff=True).first()
    supervisor = (
        get_user_model().objects.filter(groups__name=roles.SUPERVISOR, is_staff=True).first()
    )
    if reviewer is None or supervisor is None:
        return 0
    now = timezone.now()
    borrowers = [_borrower(i) for i in range(1, COUNT + 1)]
    lines = _closing_lines(borrowers, now)
    made = 0
    now = timezone.now()
    for i, (line, plan) in enumerate(zip(lines, PLAN, strict=True)):
        line.refresh_from_db()  # closed down by the re-evaluation above
        decision = line.decisions.order_by("-created_at", "-id").first()
        if decision is None or services.decision_appealable_until(decision, now=now) is None:
            continue
        appeal = services.appeal_create(
            borrower=line.borrower,
            decision=decision,
            grounds=["repaid_on_time"] if i % 2 else ["information_wrong", "closed_other_loans"],
            statement="那笔逾期已经还清，平台也开了结清证明，请重新审核。",
        )
        appeal = services.appeal_submit(appeal=appeal, actor=line.borrower)
        appeal.refresh_from_db()
        agent = appeal.assignee or agents[i % len(agents)]
        _work(appeal, plan, agent=agent, reviewer=reviewer, supervisor=supervisor)
        made += 1
    if stdout is not None:
        stdout.write(f"appeals desk demo: a queue of {made} appeals in every state.")
    return made
