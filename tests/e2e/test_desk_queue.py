"""Issue 11 in a browser: the queue fits 1280 px with the borrower-replied marker first; an
agent hands a case over to a reviewer, who finds it in "ready for decision" and "assigned to
me"; the composer changes colour and button with its mode. Screenshots at 1280 and 1440 px
in both languages."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appeals import services
from appeals.models import Appeal
from tests.appeals import factories as f
from tests.e2e.conftest import screenshot
from tests.e2e.test_desk import act, open_case, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDE = {"width": 1440, "height": 900}
DESKTOP = {"width": 1280, "height": 900}


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def _right_edge_visible(page, selector: str) -> bool:
    """Every cell of the column ends inside the results box and the window (the box does not
    scroll sideways)."""
    return page.evaluate(
        "(s) => { const box = document.querySelector('#changelist .results');"
        " const edge = Math.min(box.getBoundingClientRect().right, window.innerWidth);"
        " return box.scrollWidth <= box.clientWidth && [...document.querySelectorAll(s)]"
        ".every(el => el.getBoundingClientRect().right <= edge + 1); }",
        selector,
    )


def test_queue_fits_shows_replies_first_and_the_hand_off_reaches_the_reviewer(new_page):
    agent = f.agent(full_name="Agent Zhao")
    reviewer = f.reviewer(full_name="Reviewer Wu")
    quiet = f.in_review_appeal(worker=agent)
    Appeal.objects.filter(pk=quiet.pk).update(resolution_due=timezone.now() + timedelta(days=2))
    answered = f.awaiting_appeal(worker=agent)
    services.appeal_borrower_message(
        appeal=answered, actor=answered.borrower, body="已上传结清证明，请查收。"
    )

    for language in ("en", "zh-hans"):
        for viewport in (DESKTOP, WIDE):
            page = new_page(viewport=viewport, language=language)
            sign_in(page, agent)
            page.goto("/admin/appeals/appeal/")
            rows = page.locator("#result_list tbody tr")
            expect(rows.first).to_contain_text(answered.reference)
            expect(rows.first.locator(".desk-flag-replied")).to_be_visible()
            screenshot(page, f"desk-queue-replied-{viewport['width']}-{language}")
            assert _no_horizontal_scroll(page)
            for column in ("state_col", "assignee_col", "first_response_col", "resolution_col"):
                assert _right_edge_visible(page, f"#result_list .column-{column}"), column

    # The agent hands the answered case over to the reviewer; the composer shows its mode.
    page = new_page(viewport=DESKTOP, language="en")
    sign_in(page, agent)
    open_case(page, answered)
    composer = page.locator("form[data-desk-composer]")
    expect(composer).to_have_attribute("data-mode", "public")
    # Two actions with their own words and colours; the one used last colours the box.
    reply = composer.locator(".desk-send-public")
    note = composer.locator(".desk-send-internal")
    expect(reply).to_have_text("Send reply to borrower")
    expect(note).to_have_text("Save internal note")
    assert reply.evaluate("b => getComputedStyle(b).backgroundColor") != note.evaluate(
        "b => getComputedStyle(b).backgroundColor"
    )
    composer.locator("textarea").fill("先核对结清证明的日期。")
    note.click()
    composer = page.locator("form[data-desk-composer]")
    expect(composer).to_have_attribute("data-mode", "internal")
    expect(page.locator(".desk-msg-internal").last).to_contain_text("先核对结清证明的日期。")
    act(page, "ready", comment="结清证明核实无误，建议恢复。", reviewer=reviewer.pk)
    expect(page.locator(".messagelist")).to_contain_text("ready for decision")
    screenshot(page, "desk-case-handed-over-1280-en")

    page = new_page(viewport=WIDE, language="zh-hans")
    sign_in(page, reviewer)
    page.goto("/admin/appeals/appeal/?queue=ready")
    expect(page.locator("#result_list")).to_contain_text(answered.reference)
    expect(page.locator("#result_list")).not_to_contain_text(quiet.reference)
    page.goto("/admin/appeals/appeal/?queue=mine")
    expect(page.locator("#result_list")).to_contain_text(answered.reference)
    screenshot(page, "desk-queue-ready-1440-zh-hans")
    open_case(page, answered)
    expect(page.locator(".desk-action-decide")).to_be_visible()
    expect(page.locator(".desk-action-ready")).to_have_count(0)
    expect(page.locator(".desk-kv")).to_contain_text("结清证明核实无误")
    screenshot(page, "desk-case-reviewer-1440-zh-hans")
