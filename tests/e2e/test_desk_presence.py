"""Issue 11: the case page shows who else has it open and that someone changed it since it
was loaded, refreshed without a reload, before anyone submits."""

import pytest
from playwright.sync_api import expect

from tests.appeals import factories as f
from tests.e2e.conftest import DESKTOP, screenshot
from tests.e2e.test_desk import act, open_case, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_second_session_sees_who_is_here_and_who_changed_the_case(new_page, settings):
    settings.DESK_PRESENCE_POLL_SECONDS = 1
    agent = f.agent(full_name="Agent Zhao")
    supervisor = f.supervisor(full_name="Supervisor Lin")
    appeal = f.in_review_appeal(worker=agent)

    first = new_page(viewport=DESKTOP, language="en")
    sign_in(first, agent)
    open_case(first, appeal)
    second = new_page(viewport=DESKTOP, language="en")
    sign_in(second, supervisor)
    open_case(second, appeal)
    loads = []
    second.on("load", lambda _page: loads.append(1))

    # Each sees the other, without reloading.
    expect(second.locator("[data-desk-viewing]")).to_have_text(
        "Also viewing now: Agent Zhao", timeout=8000
    )
    expect(first.locator("[data-desk-viewing]")).to_have_text(
        "Also viewing now: Supervisor Lin", timeout=8000
    )
    expect(second.locator("[data-desk-changed]")).to_have_text("")

    # The agent asks the borrower for information; the supervisor's open page says so.
    act(first, "request_info", comment="请上传结清证明。")
    expect(first.locator(".messagelist")).to_be_visible()
    expect(second.locator("[data-desk-changed]")).to_contain_text(
        "Agent Zhao changed this appeal after you opened it", timeout=8000
    )
    assert loads == []  # told without a reload
    screenshot(second, "desk-case-presence-1280-en")
