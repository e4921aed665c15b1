"""Demo appeal: C-1003 张敏's closed line, appeal under review with a supporting document and a
thread (her statement, a public reply from the agent, an internal note). Built through the
services; idempotent. Tolerates a line that is not closed yet (uses its latest decision) and
skips when there is nothing appealable."""

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts import roles
from credit.models import CreditLine

from . import services
from .desk.demo import seed_desk
from .desk.demo_queue import seed_queue
from .models import Appeal

DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def seed(stdout=None) -> Appeal | None:
    seed_desk(stdout)  # staff desk: holiday calendar and canned responses first
    User = get_user_model()
    borrower = User.objects.filter(customer_id="C-1003").first()
    agent = User.objects.filter(groups__name=roles.AGENT, is_staff=True).first()
    line = CreditLine.objects.filter(borrower=borrower).first() if borrower else None
    if borrower is None or agent is None or line is None:
        _say(stdout, "appeals demo: C-1003 or the demo agent is missing; skipped.")
        return None
    existing = Appeal.objects.filter(line=line).first()
    if existing is not None:
        seed_queue(stdout)
        return existing
    decision = line.decisions.order_by("-created_at", "-id").first()
    if decision is None or services.decision_appealable_until(decision, now=timezone.now()) is None:
        _say(stdout, "appeals demo: C-1003's line has no appealable decision yet; skipped.")
        return None
    with transaction.atomic():
        appeal = services.appeal_create(
            borrower=borrower,
            decision=decision,
            grounds=["information_wrong", "repaid_on_time"],
            statement=(
                "报告中的逾期记录不是我的：那笔借款已在 8 月全部还清，平台也给我开了结清证明。"
                "我在本平台的每一期都按时还款，请重新审核。"
            ),
        )
        services.evidence_add(
            appeal=appeal, actor=borrower, upload=ContentFile(DEMO_PDF, name="结清证明.pdf")
        )
        services.appeal_submit(appeal=appeal, actor=borrower)
    # Committed: the re-evaluation on submission runs now (eagerly in the embedded mode).
    with transaction.atomic():
        appeal = services.appeal_start_review(appeal=appeal, actor=agent)
        services.appeal_staff_message(
            appeal=appeal,
            actor=agent,
            body=(
                "您好，我们已收到您的申诉和结清证明，正在向征信机构核实该逾期记录，"
                "预计 3 个工作日内给您答复。"
            ),
            internal=False,
        )
        services.appeal_staff_message(
            appeal=appeal,
            actor=agent,
            body="已向 QuickCash B 发函核实结清日期；征信异议编号待回传后再交审核员决定。",
            internal=True,
        )
    _say(stdout, f"appeals demo: {appeal.reference} for C-1003, under review.")
    seed_queue(stdout)  # and a working day's queue around it
    return appeal
