"""axe-core (installed from package-lock.json by `make test`) on every borrower page, in both
languages on a phone: zero serious or critical violations. Tap targets are at least 44 px."""

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD, GATED_BORROWER
from appeals.models import Appeal, SupportRequest
from credit.models import CreditLine
from notifications.models import Notification
from tests.conftest import ROOT, require
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ` +
      v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    ".topbar a, .topbar button, .footer a, .tabbar a, .button, .langswitch__btn, .link-button"))
  .filter(el => el.offsetParent !== null)
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.height < 44 || r.width < 44)
  .map(([el, r]) =>
    `${el.className || el.tagName} "${el.textContent.trim()}" ${r.width}x${r.height}`)"""


def _pages():
    """Every page a borrower can reach, with the demo borrower who reaches it."""
    held = Appeal.objects.get(borrower__customer_id="C-1006")
    closed = Appeal.objects.get(borrower__customer_id="C-1003")
    closing = CreditLine.objects.get(borrower__customer_id="C-1002")
    decision = closing.decisions.order_by("-created_at", "-id").first()
    message = Notification.objects.filter(recipient=closing.borrower, channel="inbox").first()
    superseded = Notification.objects.filter(
        recipient__customer_id="C-1005", channel="inbox", superseded_at__isnull=False
    ).first()
    support = SupportRequest.objects.get(borrower__customer_id="C-1005")
    pages = [(None, "/login/"), (None, "/password-reset/"), (None, "/help/")]
    pages += [
        (c, "/credit/")
        for c in ("C-1001", "C-1002", "C-1003", "C-1004", "C-1005", "C-1006", "C-1007")
    ]
    pages += [
        ("C-1002", f"/appeals/new/?decision={decision.pk}"),
        ("C-1002", "/appeals/"),
        ("C-1006", f"/appeals/{held.pk}/"),
        ("C-1003", f"/appeals/{closed.pk}/"),
        ("C-1002", "/messages/"),
        ("C-1002", f"/messages/{message.pk}/"),
        ("C-1002", "/messages/settings/"),
        ("C-1002", "/no-such-page/"),
        ("C-1006", f"/appeals/{held.pk}/withdraw/"),
        ("C-1005", "/appeals/support/"),
        ("C-1005", "/appeals/support/new/"),
        ("C-1005", f"/appeals/support/{support.pk}/"),
        ("C-1005", f"/messages/{superseded.pk}/"),
        # issue 14: Emma's data copy is ready in the demo; deleting the account is confirmed
        ("C-1005", "/settings/data/"),
        ("C-1005", "/settings/data/delete/"),
        # issue 14: the help centre signed in, the policies, and the consent page the gated
        # demo borrower meets before anything else
        ("C-1002", "/help/"),
        ("C-1002", "/policies/"),
        ("C-1009", "/consent/?next=/credit/"),
    ]
    # issue 17: before and after an appeal (re-evaluated and cleared; decided by a person)
    for status in ("auto_approved", "approved", "partially_approved", "denied"):
        decided = Appeal.objects.filter(borrower__customer_id__startswith="L-3", status=status)
        appeal = decided.order_by("pk").first()
        pages.append((appeal.borrower.customer_id, f"/appeals/{appeal.pk}/"))
    return pages


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_serious_or_critical_violations_on_any_borrower_page(chromium, live_server, language):
    require(AXE.exists(), "axe-core (run `make browser-tools`)")
    call_command("seed_demo")
    emails = {
        line.borrower.customer_id: line.borrower.email
        for line in CreditLine.objects.select_related("borrower")
    }
    host = live_server.url.split("//", 1)[1].split(":")[0]
    found, small = {}, {}
    signed_in = {}
    probed = False
    for customer_id, path in _pages():
        viewport = PHONE if len(found) % 2 == 0 else DESKTOP
        context = signed_in.get(customer_id)
        if context is None:
            # bypass_csp: axe is injected as an inline script, which the site's CSP forbids.
            context = chromium.new_context(
                viewport=viewport, base_url=live_server.url, bypass_csp=True
            )
            context.add_cookies(
                [{"name": "recourse_language", "value": language, "domain": host, "path": "/"}]
            )
            if customer_id:
                page = context.new_page()
                page.goto("/login/")
                page.locator("#id_username").fill(emails[customer_id])
                page.locator("#id_password").fill(DEMO_PASSWORD)
                page.locator("form.form button[type=submit]").click()
                gated = emails[customer_id] == GATED_BORROWER
                page.wait_for_url("**/consent/**" if gated else "**/credit/**")
                page.close()
            signed_in[customer_id] = context
        page = context.new_page()
        page.set_viewport_size(viewport)
        page.goto(path)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(SERIOUS)
        if violations:
            found[f"{path} ({customer_id})"] = violations
        if not probed:  # axe is live here: an unnamed button is a critical violation
            page.evaluate("document.body.append(document.createElement('button'))")
            assert any(v.startswith("button-name") for v in page.evaluate(SERIOUS))
            probed = True
        targets = page.evaluate(SMALL_TARGETS)
        if targets:
            small[f"{path} ({customer_id})"] = targets
        page.close()
    for context in signed_in.values():
        context.close()
    assert found == {}
    assert small == {}
