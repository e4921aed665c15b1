"""Issue 11: the desk in dark mode. The queue and the case page (thread with a borrower's
message, a reply and an internal note; the composer in both modes) with the browser set to
a dark colour scheme: axe-core finds no serious or critical violation (colour contrast
included), and note authors and times are readable (contrast of at least 4.5:1, measured on
the page). Screenshots at 1280 and 1440 px in both languages."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appeals import services
from appeals.models import Appeal
from tests.appeals import factories as f
from tests.conftest import require
from tests.e2e.conftest import DESKTOP, screenshot
from tests.e2e.test_accessibility import AXE, SERIOUS
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDE = {"width": 1440, "height": 900}

# The contrast ratio (WCAG) of an element's text against the first opaque background behind it.
CONTRAST = """(el) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = null;
  for (let n = el; n && !bg; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); }
  }
  bg = bg || [255, 255, 255];
  const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(bg)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_desk_in_dark_mode_is_readable(chromium, live_server, language):
    require(AXE.exists(), "axe-core (run `make browser-tools`)")
    supervisor = f.supervisor(full_name="Supervisor Lin")
    agent = f.agent(full_name="Agent Zhao")
    appeal = f.in_review_appeal(worker=agent)
    services.appeal_borrower_message(appeal=appeal, actor=appeal.borrower, body="已上传结清证明。")
    services.appeal_staff_message(
        appeal=appeal, actor=agent, body="收到，正在核实。", internal=False
    )
    services.appeal_staff_message(
        appeal=appeal, actor=agent, body="内部：先核对还款流水。", internal=True
    )
    f.submitted_appeal()
    f.awaiting_appeal(worker=agent)
    late = f.in_review_appeal(worker=supervisor)  # breached, and one nobody has
    Appeal.objects.filter(pk=late.pk).update(resolution_due=timezone.now() - timedelta(hours=2))
    unassigned = f.submitted_appeal()
    Appeal.objects.filter(pk=unassigned.pk).update(assignee=None)

    host = live_server.url.split("//", 1)[1].split(":")[0]
    found = {}
    for viewport in (DESKTOP, WIDE):
        # bypass_csp: axe is injected as an inline script, which the admin's CSP forbids.
        context = chromium.new_context(
            viewport=viewport, base_url=live_server.url, color_scheme="dark", bypass_csp=True
        )
        context.add_cookies(
            [{"name": "recourse_language", "value": language, "domain": host, "path": "/"}]
        )
        page = context.new_page()
        page.goto("/admin/login/?next=/admin/appeals/appeal/")
        page.locator("#id_username").fill(supervisor.email)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#login-form [type=submit]").click()
        expect(page.locator("#result_list")).to_contain_text(appeal.reference)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        width = viewport["width"]
        for name, path in (
            ("queue", "/admin/appeals/appeal/"),
            ("case", f"/admin/appeals/appeal/{appeal.pk}/change/"),
            ("case-note-mode", f"/admin/appeals/appeal/{appeal.pk}/change/?compose=internal"),
        ):
            page.goto(path)
            screenshot(page, f"desk-dark-{name}-{width}-{language}")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(SERIOUS)
            if violations:
                found[f"{name} {width}"] = violations
        # Note authors and times, on every kind of message, read at 4.5:1 or better.
        quiet = page.locator(".desk-msg .desk-quiet")
        expect(quiet).to_have_count(3)
        for i in range(3):
            ratio = quiet.nth(i).evaluate(CONTRAST)
            assert ratio >= 4.5, (i, ratio, quiet.nth(i).inner_text())
        assert "Agent Zhao" in quiet.nth(2).inner_text()
        context.close()
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
