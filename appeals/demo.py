"""Demo appeals: C-1003 张敏's closed line and C-1006 刘洋's closing line (closure on hold), each
under review with a supporting document and a thread (the statement, a public reply from the
agent, an internal note). Built through the
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
from .desk.demo_lessons import seed_lessons
from .desk.demo_queue import seed_queue
from .desk.demo_reports import seed_report_history
from .models import Appeal, SupportRequest

DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


DEMO_APPEALS = (
    # C-1003 张敏: her line is closed; the appeal asks to reopen it.
    (
        "C-1003",
        ["information_wrong", "repaid_on_time"],
        "报告中的逾期记录不是我的：那笔借款已在 8 月全部还清，平台也给我开了结清证明。"
        "我在本平台的每一期都按时还款，请重新审核。",
        "结清证明.pdf",
        "您好，我们已收到您的申诉和结清证明，正在向征信机构核实该逾期记录，"
        "预计 3 个工作日内给您答复。",
        "已向 QuickCash B 发函核实结清日期；征信异议编号待回传后再交审核员决定。",
    ),
    # C-1006 刘洋: her line is closing; the appeal holds the closure while it is reviewed.
    (
        "C-1006",
        ["closed_other_loans", "repaid_on_time"],
        "其他平台的三笔借款是为了周转装修款，其中两笔已经提前结清，剩下一笔下月结清。"
        "我在本平台一直按时还款，请不要关闭我的额度。",
        "结清凭证.pdf",
        "您好，我们已收到您的申诉，正在核实其他平台的结清情况，会尽快给您答复。",
        "请核对 Jiebei Partner A、QuickCash B 的结清凭证日期。",
    ),
)


def seed(stdout=None) -> Appeal | None:
    """Seed every demo appeal; return the first (C-1003's), or None when none could be made."""
    seed_desk(stdout)  # staff desk: holiday calendar and canned responses first
    User = get_user_model()
    agent = User.objects.filter(groups__name=roles.AGENT, is_staff=True).first()
    made = []
    for customer_id, grounds, statement, file_name, reply, note in DEMO_APPEALS:
        borrower = User.objects.filter(customer_id=customer_id).first()
        line = CreditLine.objects.filter(borrower=borrower).first() if borrower else None
        if borrower is None or agent is None or line is None:
            _say(stdout, f"appeals demo: {customer_id} or the demo agent is missing; skipped.")
            continue
        existing = Appeal.objects.filter(line=line).first()
        if existing is not None:
            made.append(existing)
            continue
        decision = line.decisions.order_by("-created_at", "-id").first()
        if (
            decision is None
            or services.decision_appealable_until(decision, now=timezone.now()) is None
        ):
            _say(stdout, f"appeals demo: {customer_id}'s line has no appealable decision; skipped.")
            continue
        with transaction.atomic():
            appeal = services.appeal_create(
                borrower=borrower, decision=decision, grounds=grounds, statement=statement
            )
            services.evidence_add(
                appeal=appeal, actor=borrower, upload=ContentFile(DEMO_PDF, name=file_name)
            )
            services.appeal_submit(appeal=appeal, actor=borrower)
        # Committed: the re-evaluation on submission runs now (eagerly in the embedded mode).
        with transaction.atomic():
            appeal = services.appeal_start_review(appeal=appeal, actor=agent)
            services.appeal_staff_message(appeal=appeal, actor=agent, body=reply, internal=False)
            services.appeal_staff_message(appeal=appeal, actor=agent, body=note, internal=True)
        _say(stdout, f"appeals demo: {appeal.reference} for {customer_id}, under review.")
        made.append(appeal)
    seed_queue(stdout)  # and a working day's queue around them
    seed_lessons(stdout)  # appealed scorecard closures, and what they teach the scorecard
    seed_report_history(stdout)  # and the month behind the appeals report
    _seed_support(stdout, agent)
    return made[0] if made else None


SUPPORT_SUBJECT = "Will the wrong closure show on my credit report?"


def _seed_support(stdout, agent) -> None:
    """C-1005 Emma Liu asks the desk a question outside any appeal; the agent has answered."""
    borrower = get_user_model().objects.filter(customer_id="C-1005").first()
    if borrower is None or agent is None:
        return
    if SupportRequest.objects.filter(borrower=borrower, subject=SUPPORT_SUBJECT).exists():
        return
    with transaction.atomic():
        support = services.support_request_open(
            borrower=borrower,
            subject=SUPPORT_SUBJECT,
            body=(
                "My credit line was closed by mistake and is now restored. Will that closure "
                "affect my credit report?"
            ),
        )
        services.support_staff_reply(
            request=support,
            actor=agent,
            body=(
                "No. The closure was our system error; we corrected it and never reported it "
                "to the credit bureau."
            ),
        )
    _say(stdout, f"appeals demo: support request {support.reference} for C-1005, answered.")
