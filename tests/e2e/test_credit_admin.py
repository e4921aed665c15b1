"""Staff read a line's decisions and compare rule versions in the admin, on a phone and a desk."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from credit import services
from credit.models import DecisionPolicy, Scorecard
from tests.credit.factories import make_line, multi_lending, repayments
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import PASSWORD, StaffFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def sign_in(page, email):
    page.goto("/admin/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("viewport", "size"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_supervisor_reads_a_closing_line_and_compares_versions(new_page, language, viewport, size):
    now = timezone.now()
    line = make_line(opened_at=now - timedelta(days=320))
    repayments(line, first_due=(now - timedelta(days=300)).date(), count=9)
    multi_lending(line, start=now - timedelta(days=12))
    services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    draft = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    draft.keep_min_score = 710
    services.policy_save_draft(policy=draft)
    StaffFactory(email="sup@example.com", role=roles.SUPERVISOR)

    page = new_page(viewport=viewport, language=language)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    sign_in(page, "sup@example.com")
    page.goto(reverse("admin:credit_creditline_change", args=[line.pk]))
    expect(page.locator("ol.credit-reasons").first).to_contain_text("multi_lending_open_loans")
    screenshot(page, f"credit-admin-line-{size}-{language}")

    page.goto(
        reverse(
            "admin:credit_decisionpolicy_compare",
            args=[DecisionPolicy.objects.get(version=1).pk, draft.pk],
        )
    )
    expect(page.locator("tr.credit-changed")).to_have_count(1)
    screenshot(page, f"credit-admin-compare-{size}-{language}")

    card = Scorecard.objects.get(version=1)
    page.goto(reverse("admin:credit_scorecard_change", args=[card.pk]))
    screenshot(page, f"credit-admin-scorecard-{size}-{language}")
    # No asset of these pages is missing and nothing breaks the CSP. (Chromium's own request
    # for /favicon.ico, which the admin pages don't declare, 404s and is not ours to judge.)
    assert missing == []
    assert [e for e in page.console_errors if "404" not in e] == []
