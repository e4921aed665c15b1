"""Demo data for "what appeals teach the scorecard": nine borrowers whose lines the scorecard
closed for borrowing at three other platforms (no knock-out), each appealed. People overturn
most of them (5 approved, 1 partly), uphold 2, and one borrower's appeal is approved by the
re-evaluation because she closed the loans first (her appeal page shows the score going back
up and every reason cleared). Then the supervisor saves the proposal the appeals point at and
it runs in shadow against every line. Built through the services; idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import roles
from accounts.demo import DEMO_PASSWORD
from credit import services as credit
from credit.models import CreditEvent, CreditLine, ShadowRun

from .. import selectors, services
from ..models import Appeal

PREFIX = "L-3"
SOURCE = "demo-lessons"
PLATFORMS = ("Jiebei Partner A", "QuickCash B", "FenQi C")
# (name, language, what happens to the appeal)
PEOPLE = (
    ("周晓梅", "zh-hans", "approved"),
    ("Grace Lin", "en", "approved"),
    ("吴建国", "zh-hans", "approved"),
    ("孙丽华", "zh-hans", "approved"),
    ("郑海涛", "zh-hans", "approved"),
    ("冯雪", "zh-hans", "partial"),
    ("何志强", "zh-hans", "denied"),
    ("马俊", "zh-hans", "denied"),
    ("Chloe Wu", "en", "cleared"),
)


def _event(line: CreditLine, key: str, kind: str, occurred_at, **data) -> None:
    # Upstream facts; in production they arrive through the ingestion API. Idempotent by id.
    CreditEvent.objects.get_or_create(
        source=SOURCE,
        external_id=f"{line.borrower.customer_id}-{key}",
        defaults={"line": line, "kind": kind, "occurred_at": occurred_at, "data": data},
    )


def _closed_for_multi_lending(user, now) -> CreditLine:
    line, _created = credit.credit_line_upsert(
        borrower=user, credit_limit=Decimal("20000.00"), balance=Decimal("2500.00")
    )
    CreditLine.objects.filter(pk=line.pk).update(opened_at=now - timedelta(days=400))
    decided = now - timedelta(days=6)
    for month in range(10, 0, -1):
        due = (decided - timedelta(days=30 * month)).date()
        paid = f"{due.isoformat()}T09:00:00+08:00"
        _event(line, f"rep-{month}", "repayment", decided - timedelta(days=30 * month),
               due_date=due.isoformat(), paid_at=paid, amount="1000.00")  # fmt: skip
    for i, platform in enumerate(PLATFORMS):
        when = decided - timedelta(days=12 - 4 * i)
        _event(line, f"app-{i}", "external_loan_application", when, platform=platform)
        _event(line, f"open-{i}", "external_loan_opened", when + timedelta(hours=3),
               platform=platform, loan_id=f"L-{i}", amount="5000.00")  # fmt: skip
    credit.credit_lines_reevaluate(line_ids=[line.pk], trigger="event", now=decided)
    line.refresh_from_db()
    return line


def seed_lessons(stdout=None) -> ShadowRun | None:
    """The appealed closures, their outcomes, and the proposal tried in shadow."""
    User = get_user_model()
    if Appeal.objects.filter(borrower__customer_id__startswith=PREFIX).exists():
        return None
    staff = User.objects.filter(is_staff=True)
    agent = staff.filter(groups__name=roles.AGENT).first()
    reviewer = staff.filter(groups__name=roles.REVIEWER).first()
    supervisor = staff.filter(groups__name=roles.SUPERVISOR).first()
    if agent is None or reviewer is None or supervisor is None:
        return None
    now = timezone.now()
    for i, (name, language, plan) in enumerate(PEOPLE, start=1):
        user, created = User.objects.get_or_create(
            customer_id=f"{PREFIX}{i:03d}",
            defaults={
                "email": f"lessons{i:03d}@demo.recourse",
                "full_name": name,
                "phone": f"+86137000{3000 + i:04d}",
                "preferred_language": language,
            },
        )
        if created:  # a login for the demo: their appeal pages show before and after
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        line = _closed_for_multi_lending(user, now)
        decision = line.decisions.order_by("-created_at", "-id").first()
        if decision is None or not decision.is_adverse:
            continue
        appeal = services.appeal_create(
            borrower=user,
            decision=decision,
            grounds=["closed_other_loans", "repaid_on_time"],
            statement="其他平台的借款是短期周转，我在本平台一直按时还款，请重新审核。",
        )
        if plan == "cleared":
            for j, platform in enumerate(PLATFORMS):
                _event(line, f"closed-{j}", "external_loan_closed", now - timedelta(days=2),
                       platform=platform, loan_id=f"L-{j}")  # fmt: skip
        appeal = services.appeal_submit(appeal=appeal, actor=user)
        # The re-evaluation on submission (queued; run here so the demo does not wait).
        appeal = services.appeal_auto_review(appeal_id=appeal.pk)
        if plan == "cleared":
            continue
        appeal = services.appeal_start_review(appeal=appeal, actor=appeal.assignee or agent)
        if plan == "approved":
            services.appeal_approve(
                appeal=appeal, actor=reviewer, explanation="按时还款记录良好，恢复额度。"
            )
        elif plan == "partial":
            services.appeal_partially_approve(
                appeal=appeal, actor=reviewer, explanation="部分恢复额度。", new_limit="10000"
            )
        else:
            services.appeal_deny(
                appeal=appeal, actor=reviewer, explanation="多头借贷仍未结清，原决定维持。"
            )
    cases = [c.case for c in selectors.appealed_cases()]
    try:
        draft = credit.lessons_draft_and_shadow(cases=cases, actor=supervisor)
    except ValidationError as exc:  # the demo goes on without the proposal
        if stdout is not None:
            stdout.write(f"appeals lessons demo: no proposal ({exc}).")
        return None
    while credit.shadow_run_chunk(run_id=draft.run.pk):
        pass
    if stdout is not None:
        stdout.write(
            f"appeals lessons demo: {len(cases)} decided appeals; proposal "
            f"{draft.run.name!r} tried in shadow."
        )
    return draft.run
