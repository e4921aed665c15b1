"""My credit in a browser for every demo state, on a phone and a desktop, in both languages:
the status words, what can be borrowed, the dates that bind, and none of the false sentences.
Screenshots land in test-artifacts/screenshots/my-credit-state-*."""

import pytest
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from accounts.localtime import format_local_date
from credit.models import CreditLine
from tests.e2e.conftest import DESKTOP, PHONE, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VIEWS = [("en", PHONE), ("zh-hans", PHONE), ("en", DESKTOP), ("zh-hans", DESKTOP)]


def _date(line, language):
    with translation.override(language):
        return format_local_date(line.closing_effective_at, line.borrower)


def _expectations(customer_id, line, language):
    """(status words, available, sentences that must show, sentences that must not)."""
    en = language == "en"
    if customer_id == "C-1002":
        date = _date(line, language)
        return (
            f"Closing on {date}" if en else f"将于{date}关闭",
            "¥17,000.00",
            ["days left" if en else "还剩"],
            ["Closure on hold" if en else "关闭已暂缓"],
        )
    if customer_id == "C-1006":
        date = _date(line, language)
        return (
            "Closure on hold · appeal in review" if en else "关闭已暂缓 · 申诉审核中",
            "¥17,000.00",
            [f"closes on {date} at the earliest" if en else f"最早将于{date}关闭"],
            ["days left" if en else "还剩", "Appeal this decision" if en else "对此决定申诉"],
        )
    if customer_id == "C-1003":
        return (
            "Closed" if en else "已关闭",
            "¥0.00",
            ["Not available" if en else "暂不可用", "¥15,000.00"],
            [
                "will not close" if en else "不会关闭",
                "a credit line is kept as it is" if en else "额度保持不变",
                "within the notice period" if en else "在缓冲期内提出申诉",
            ],
        )
    if customer_id == "C-1004":
        return (
            "Paused" if en else "已暂停使用",
            "¥0.00",
            ["product policy change" if en else "产品运营策略调整"],
            ["automated risk system" if en else "自动化风控系统"],
        )
    if customer_id == "C-1005":
        return (
            "Active" if en else "正常可用",
            "¥37,500.00",
            [
                "Corrected — our error" if en else "已更正——系我方失误",
                "Your credit report was not affected" if en else "您的征信报告未受影响",
            ],
            ["partner feed batch"],
        )
    if customer_id == "C-1007":
        return (
            "Active" if en else "正常可用",
            "¥15,000.00",
            ["Limit reduced" if en else "额度已调低", "¥36,000.00 → ¥18,000.00"],
            ["Not available" if en else "暂不可用"],
        )
    if customer_id == "C-1010":
        with translation.override(language):
            date = format_local_date(line.scheduled_change_at, line.borrower)
        return (
            "Active" if en else "正常可用",
            "¥25,000.00",  # until the date, the current limit (¥28,000) less what is owed
            [
                "Limit reduction scheduled" if en else "额度调整已安排",
                f"Your limit will be reduced to ¥14,000.00 on {date}."
                if en
                else f"您的额度将于{date}调低至¥14,000.00。",
            ],
            ["Not available" if en else "暂不可用", "days left" if en else "还剩"],
        )
    return ("Active" if en else "正常可用", "¥25,800.00", [], ["days left" if en else "还剩"])


@pytest.mark.parametrize(
    "customer_id",
    ["C-1001", "C-1002", "C-1006", "C-1003", "C-1004", "C-1005", "C-1007", "C-1010"],
)
def test_every_demo_state_reads_true(new_page, customer_id):
    call_command("seed_demo")
    line = CreditLine.objects.select_related("borrower").get(borrower__customer_id=customer_id)
    for language, viewport in VIEWS:
        status, available, must, must_not = _expectations(customer_id, line, language)
        page = new_page(viewport=viewport, language=language)
        page.goto("/login/")
        page.locator("#id_username").fill(line.borrower.email)
        page.locator("#id_password").fill(DEMO_PASSWORD)
        page.locator("form.form button[type=submit]").click()
        expect(page.locator(".status-card .chip").first).to_have_text(status)
        expect(page.locator(".figure--main dd").first).to_have_text(available)
        body = page.locator("main").inner_text()
        for sentence in must:
            assert sentence in body, f"{customer_id} {language}: missing {sentence!r}"
        for sentence in must_not:
            assert sentence not in body, f"{customer_id} {language}: false {sentence!r}"
        width = "phone" if viewport is PHONE else "desktop"
        screenshot(page, f"my-credit-state-{customer_id}-{width}-{language}")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert page.console_errors == []
        page.context.close()
