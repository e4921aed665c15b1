"""In the browser, on a phone and a desktop, in both languages: withdrawing asks first and says
what happens next; a discarded draft leaves the list; a borrower who can no longer appeal writes
to the desk from My credit and reads the answer."""

import pytest
from playwright.sync_api import expect

from appeals import services
from appeals.models import Appeal, AppealStatus, SupportRequest
from tests.appeals import factories as f
from tests.credit.story import closing_line
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.test_my_credit import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [("zh-hans", PHONE), ("en", DESKTOP), ("en", PHONE), ("zh-hans", DESKTOP)]
WORDS = {
    "en": {
        "withdraw": "Withdraw my appeal",
        "confirm_withdraw": "Yes, withdraw my appeal",
        "withdrawn": "Withdrawn",
        "question": "Withdraw your appeal?",
        "discard": "Discard this draft",
        "confirm_discard": "Yes, discard the draft",
        "discarded": "Your draft was discarded",
        "contact": "Contact us about this decision",
        "subject": "What is it about?",
        "message": "Your message",
        "send": "Send",
        "sent": "Your message was sent",
        "answered": "We answered",
    },
    "zh-hans": {
        "withdraw": "撤回申诉",
        "confirm_withdraw": "确定撤回申诉",
        "withdrawn": "已撤回",
        "question": "确定撤回申诉吗？",
        "discard": "放弃这份草稿",
        "confirm_discard": "确定放弃草稿",
        "discarded": "草稿已放弃",
        "contact": "就此决定联系我们",
        "subject": "咨询主题",
        "message": "您的留言",
        "send": "发送",
        "sent": "您的消息已发送",
        "answered": "已答复",
    },
}


def _name(language, viewport):
    return f"{'phone' if viewport is PHONE else 'desktop'}-{language}"


def _fits(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize(("language", "viewport"), CASES)
def test_withdraw_asks_first_then_withdraws(new_page, language, viewport):
    words = WORDS[language]
    appeal = f.in_review_appeal(line=closing_line(days_ago=7))
    page = new_page(viewport=viewport, language=language)
    sign_in(page, appeal.borrower)
    page.goto(f"/appeals/{appeal.pk}/")
    page.get_by_role("link", name=words["withdraw"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["question"])
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.IN_REVIEW
    _fits(page, viewport)
    screenshot(page, f"appeal-withdraw-confirm-{_name(language, viewport)}")
    page.get_by_role("button", name=words["confirm_withdraw"]).click()
    expect(page.locator(".appeal-header .chip")).to_have_text(words["withdrawn"])
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.WITHDRAWN
    assert page.console_errors == []


@pytest.mark.parametrize(("language", "viewport"), CASES[:2])
def test_a_discarded_draft_leaves_the_list(new_page, language, viewport):
    words = WORDS[language]
    draft = f.draft_appeal(line=closing_line(days_ago=7))
    page = new_page(viewport=viewport, language=language)
    sign_in(page, draft.borrower)
    page.goto(f"/appeals/{draft.pk}/")
    page.get_by_role("link", name=words["discard"]).click()
    screenshot(page, f"appeal-discard-confirm-{_name(language, viewport)}")
    page.get_by_role("button", name=words["confirm_discard"]).click()
    expect(page.locator(".flash")).to_contain_text(words["discarded"])
    expect(page.locator("main")).not_to_contain_text(draft.reference)
    expect(page.locator("main")).not_to_contain_text(words["withdrawn"])
    assert Appeal.objects.get(pk=draft.pk).status == AppealStatus.DISCARDED
    screenshot(page, f"appeal-list-after-discard-{_name(language, viewport)}")


@pytest.mark.parametrize(("language", "viewport"), CASES)
def test_no_appeal_possible_write_to_the_desk_and_read_the_answer(new_page, language, viewport):
    words = WORDS[language]
    line = closing_line(days_ago=90)  # the appeal window has passed
    page = new_page(viewport=viewport, language=language)
    sign_in(page, line.borrower)
    page.get_by_role("link", name=words["contact"]).click()
    page.get_by_label(words["subject"]).fill("Appeal window")
    page.get_by_label(words["message"]).fill("I was abroad and missed the appeal window.")
    screenshot(page, f"support-new-{_name(language, viewport)}")
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator(".flash")).to_contain_text(words["sent"])
    expect(page.locator(".thread")).to_contain_text("I was abroad")
    support = SupportRequest.objects.get(borrower=line.borrower)
    assert support.decision is not None  # written from My credit, about the decision
    services.support_staff_reply(
        request=support, actor=f.agent(), body="Thank you. We can look at it again."
    )
    page.reload()
    expect(page.locator(".thread")).to_contain_text("We can look at it again.")
    expect(page.locator("main .chip").first).to_have_text(words["answered"])
    _fits(page, viewport)
    screenshot(page, f"support-thread-{_name(language, viewport)}")
    assert page.console_errors == []
