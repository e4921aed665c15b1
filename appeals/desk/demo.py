"""Demo data for the staff desk, through the services; idempotent. Called first by
`appeals.demo.seed` so the demo appeal's due dates already count the holiday calendar.

The calendar for 2026 follows the State Council's holiday notice for 2026 (days off and the
make-up working days); for other years only the fixed-date holidays are seeded, and staff
add the rest in the admin (Appeals → Holiday calendar) when the notice is published.
"""

from datetime import date, timedelta

from django.utils import timezone

from .. import services
from ..models import CalendarDayKind

H, W = CalendarDayKind.HOLIDAY, CalendarDayKind.WORKDAY


def _span(year, month, day, days, name):
    start = date(year, month, day)
    return [(start + timedelta(days=i), H, name) for i in range(days)]


CALENDAR_2026 = [
    *_span(2026, 1, 1, 3, "元旦"),
    (date(2026, 1, 4), W, "元旦调休上班"),
    *_span(2026, 2, 15, 9, "春节"),
    (date(2026, 2, 14), W, "春节调休上班"),
    (date(2026, 2, 28), W, "春节调休上班"),
    *_span(2026, 4, 4, 3, "清明节"),
    *_span(2026, 5, 1, 5, "劳动节"),
    (date(2026, 5, 9), W, "劳动节调休上班"),
    *_span(2026, 6, 19, 3, "端午节"),
    *_span(2026, 9, 25, 3, "中秋节"),
    *_span(2026, 10, 1, 7, "国庆节"),
    (date(2026, 9, 20), W, "国庆节调休上班"),
    (date(2026, 10, 10), W, "国庆节调休上班"),
]


def _fixed(year):
    return [
        (date(year, 1, 1), H, "元旦"),
        *_span(year, 5, 1, 3, "劳动节"),
        *_span(year, 10, 1, 7, "国庆节"),
    ]


CANNED = [
    (
        "请补充结清证明 / Ask for settlement proof",
        "您好，为了尽快核实，请上传您在其他平台借款的结清证明（可以是平台出具的结清证明或"
        "还款记录截图）。收到后我们会继续审核。",
        "Hello. To check this quickly, please upload proof that your loans at other platforms "
        "are settled (a settlement letter or a screenshot of the repayment record). We will "
        "continue the review as soon as we receive it.",
    ),
    (
        "已收到，正在核实 / Received, checking",
        "您好，我们已收到您的申诉和证明材料，正在核实相关信息，会在预计答复时间前回复您。",
        "Hello. We have received your appeal and supporting documents and are checking the "
        "details. We will reply by the date shown on your appeal.",
    ),
    (
        "需要核实征信报告 / Checking the credit report",
        "您好，您提到的记录需要向征信机构核实，这可能需要几个工作日。核实结果出来后我们会第一时间"
        "告诉您。",
        "Hello. The record you mention has to be checked with the credit bureau, which can take "
        "a few working days. We will tell you as soon as we have the answer.",
    ),
]


def seed_desk(stdout=None) -> None:
    year = timezone.localdate().year
    days = CALENDAR_2026 if year == 2026 else _fixed(year)
    for day, kind, name in days:
        services.calendar_day_set(day=day, kind=kind, name=name)
    for title, body_zh, body_en in CANNED:
        services.canned_response_upsert(title=title, body_zh=body_zh, body_en=body_en)
    if stdout is not None:
        stdout.write(
            f"appeals desk demo: {len(days)} calendar days for {year}, "
            f"{len(CANNED)} canned responses."
        )
