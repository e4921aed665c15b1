"""A month of appeals behind the demo's appeals report: some 250 appeals decided over the last
30 days for 40 borrowers (customer ids "H-…"), with their decisions, a completed campaign,
satisfaction answers and a few notifications that failed.

History cannot be made through the services (they stamp "now"), so these rows are written
as the month would have left them, like credit's demo monitoring days. The story: the bureau
feed's low scores were often wrong this month, so appeals against `bureau_score_low` are
overturned far more than the rest and the report flags it for the risk team. Idempotent:
skipped when the history borrowers already have appeals."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts import roles
from credit import services as credit
from credit.models import (
    CampaignLine,
    CreditDecision,
    DecisionPolicy,
    DecisionReason,
    PolicyCampaign,
    ReasonCode,
    Scorecard,
)
from notifications.models import Notification

from ..models import Appeal, Survey
from ..states import APPROVED, AUTO_APPROVED, DENIED, DENIED_FINAL, PARTIALLY_APPROVED, RESOLVED

PREFIX = "H-"
BORROWERS = 40
DAYS = 30
# (reason codes of the decision, share overturned on appeal)
STORIES = (
    (("multi_lending_applications", "multi_lending_open_loans"), 0.15),
    (("multi_lending_applications",), 0.12),
    (("repayment_late", "bureau_score_low"), 0.55),
    (("bureau_score_low",), 0.7),
    (("external_overdue",), 0.1),
    (("debt_to_income_high", "income_unverified"), 0.25),
)
COMMENTS = {
    5: ("处理很快，额度已经恢复，谢谢！", "Quick and clear, thank you."),
    4: ("客服解释得很清楚。", ""),
    3: ("", "It took longer than the date you gave me."),
    2: ("等了很久才有人回复。", "Nobody told me what was missing until day five."),
    1: ("还是不明白为什么关闭我的额度。", "I repaid on time and you still closed it."),
}
SEGMENTS = ("", "", "long_clean_history")


def _borrowers():
    User = get_user_model()
    people = []
    for i in range(1, BORROWERS + 1):
        user, _created = User.objects.get_or_create(
            customer_id=f"{PREFIX}{i:03d}",
            defaults={
                "email": f"history{i:03d}@demo.recourse",
                "full_name": f"History borrower {i}" if i % 6 == 0 else f"往期客户{i:02d}",
                "preferred_language": "en" if i % 6 == 0 else "zh-hans",
            },
        )
        people.append(user)
    return people


def seed_report_history(stdout=None) -> int:
    """The month behind the report; returns how many appeals it wrote."""
    if Appeal.objects.filter(borrower__customer_id__startswith=PREFIX).exists():
        return 0
    supervisor = (
        get_user_model().objects.filter(groups__name=roles.SUPERVISOR, is_staff=True).first()
    )
    reviewer = get_user_model().objects.filter(groups__name=roles.REVIEWER, is_staff=True).first()
    codes = {c.code: c for c in ReasonCode.objects.all()}
    if supervisor is None or reviewer is None or "bureau_score_low" not in codes:
        return 0
    card = Scorecard.objects.order_by("-version").first()
    policies = list(DecisionPolicy.objects.exclude(status="draft").order_by("version"))
    rng = random.Random(14)  # noqa: S311 - demo data: the same month on every seed
    now = timezone.now()
    with transaction.atomic():
        lines = [
            credit.credit_line_upsert(
                borrower=b, credit_limit=Decimal("20000.00"), balance=Decimal("0.00")
            )[0]
            for b in _borrowers()
        ]
        campaign = PolicyCampaign.objects.create(
            name="2026 autumn limit review: pause lines with three new loans elsewhere",
            action="freeze",
            reason_code=codes.get("policy_adjustment") or codes["bureau_score_low"],
            state="completed",
            created_by=supervisor,
            created_at=now - timedelta(days=DAYS + 5),
            started_at=now - timedelta(days=DAYS + 5),
            finished_at=now - timedelta(days=DAYS + 5),
            lines_total=8,
            lines_done=8,
        )
        made = 0
        for day in range(DAYS, 0, -1):
            for _ in range(rng.randint(5, 12)):
                line = lines[made % len(lines)]
                in_campaign = made < 8  # the campaign's lines, appealed first
                codes_of, overturn_share = (
                    (("policy_adjustment",), 0.4) if in_campaign else rng.choice(STORIES)
                )
                submitted = now - timedelta(days=day, hours=rng.randint(0, 12))
                decided_on = submitted - timedelta(days=rng.randint(1, 9))
                policy = policies[-1] if day < 12 or not policies else policies[0]
                decision = CreditDecision.objects.create(
                    line=line,
                    created_at=decided_on,
                    trigger="campaign" if in_campaign else "event",
                    scorecard=None if in_campaign else card,
                    policy=None if in_campaign else policy,
                    outcome="freeze" if in_campaign else "schedule_closure",
                    old_status="active",
                    new_status="frozen" if in_campaign else "closing",
                    old_limit=line.credit_limit,
                    new_limit=line.credit_limit,
                    segment="" if in_campaign else SEGMENTS[made % len(SEGMENTS)],
                    note="Demo history for the appeals report.",
                )
                DecisionReason.objects.bulk_create(
                    DecisionReason(decision=decision, rank=rank, reason_code=codes[code])
                    for rank, code in enumerate(codes_of, start=1)
                    if code in codes
                )
                if in_campaign:
                    CampaignLine.objects.create(
                        campaign=campaign, line=line, state="applied", decision=decision
                    )
                overturned = rng.random() < overturn_share
                moot = not overturned and rng.random() < 0.05
                first_due = submitted + timedelta(days=2)
                resolution_due = submitted + timedelta(days=15)
                latest = now - timedelta(hours=2)  # every history appeal is decided by now
                responded = min(
                    submitted + timedelta(hours=rng.choice((2, 4, 6, 20, 30, 44, 60))), latest
                )
                room = min((latest - responded).total_seconds() / 3600, 24 * 14)
                decided = responded + timedelta(
                    hours=rng.triangular(min(6, room), room, min(40, room))
                )
                status = (
                    RESOLVED
                    if moot
                    else rng.choice((APPROVED, APPROVED, PARTIALLY_APPROVED, AUTO_APPROVED))
                    if overturned
                    else rng.choice((DENIED, DENIED, DENIED, DENIED_FINAL))
                )
                if status == AUTO_APPROVED:
                    responded, decided = None, submitted + timedelta(minutes=3)
                appeal = Appeal.objects.create(
                    borrower=line.borrower,
                    line=line,
                    decision=decision,
                    status=status,
                    grounds=["repaid_on_time"] if made % 2 else ["information_wrong"],
                    statement="我一直按时还款，请重新审核。",
                    created_at=submitted - timedelta(minutes=10),
                    submitted_at=submitted,
                    first_response_due=first_due,
                    resolution_due=resolution_due,
                    first_responded_at=responded,
                    decided_at=None if moot else decided,
                    decided_by=None if status in (AUTO_APPROVED, RESOLVED) else reviewer,
                    closed_at=decided,
                    outcome_explanation="" if moot else "Demo history.",
                )
                if status != RESOLVED and rng.random() < 0.45:
                    rating = rng.choice((4, 5, 5, 3)) if overturned else rng.choice((1, 2, 3, 2, 4))
                    comment = rng.choice(COMMENTS[rating])
                    Survey.objects.create(
                        appeal=appeal,
                        rating=rating,
                        comment=comment,
                        submitted_at=decided + (now - decided) * rng.uniform(0.05, 0.6),
                    )
                made += 1
        failures = (
            ("email", "550 5.1.1 mailbox unavailable"),
            ("sms", "provider: number is out of service"),
        )
        for i in range(12):
            channel, error = failures[i % 3 == 0]
            Notification.objects.create(
                recipient=lines[i].borrower,
                event="credit.closure_scheduled",
                category="credit",
                channel=channel,
                is_legal_notice=True,
                dedupe_key=f"demo-history:{i}",
                language=lines[i].borrower.preferred_language,
                address=lines[i].borrower.email if channel == "email" else "+8613700000000",
                body_text="(demo history)",
                status="failed",
                attempts=6,
                last_error=error,
                created_at=now - timedelta(days=rng.randint(1, DAYS)),
            )
    if stdout is not None:
        stdout.write(f"appeals report demo: {made} appeals decided over the last {DAYS} days.")
    return made
