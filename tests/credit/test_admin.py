"""The credit admin as staff of each role use it."""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import formats, translation

from accounts import roles
from credit import services
from credit.models import (
    CreditDecision,
    CreditLineStatus,
    LineRecheck,
    ReasonCode,
    Scorecard,
    VersionStatus,
)
from tests.credit.factories import at, event, make_line, multi_lending, repayments
from tests.factories import StaffFactory
from tests.support import text

pytestmark = pytest.mark.django_db
NOW = at(date(2025, 12, 5), 12)


def staff(role):
    return StaffFactory(role=role)


def closing_line():
    line = make_line(opened_at=NOW - timedelta(days=320))
    repayments(line, first_due=date(2025, 2, 10), count=10)
    multi_lending(line, start=NOW - timedelta(days=10))
    with time_machine.travel(NOW, tick=False):
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    line.refresh_from_db()
    return line


def perms(role):
    return set(
        Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
    )


def test_roles_get_the_credit_permissions_the_brief_gives_them():
    for role in (roles.AGENT, roles.REVIEWER):
        held = perms(role)
        assert {
            ("credit", "view_creditline"),
            ("credit", "view_creditevent"),
            ("credit", "view_reasoncode"),
        } <= held
        assert ("credit", "reevaluate_creditline") not in held
        assert ("credit", "change_reasoncode") not in held
    sup = perms(roles.SUPERVISOR)
    assert {
        ("credit", "reevaluate_creditline"),
        ("credit", "change_reasoncode"),
        ("credit", "add_scorecard"),
        ("credit", "change_decisionpolicy"),
    } <= sup
    auditor = perms(roles.AUDITOR)
    assert ("credit", "view_creditdecision") in auditor
    # reads everything; beyond reading only exports and reveals, each audited (issue 14)
    beyond = {
        ("credit", "export_creditdecision"),
        ("appeals", "export_appeal"),
        ("audit", "export_auditentry"),
        ("accounts", "reveal_personal_data"),
    }
    assert all(codename.startswith("view_") for _, codename in auditor - beyond)


def test_line_page_shows_decisions_with_reasons_and_features(client):
    line = closing_line()
    client.force_login(staff(roles.AGENT))
    response = client.get(reverse("admin:credit_creditline_change", args=[line.pk]))
    assert response.status_code == 200
    body = text(response)
    assert "multi_lending_open_loans" in body
    assert "You have several loans open at other platforms" in body
    assert "您在其他平台有多笔未结清借款" in body
    # Issue 11: features in a labelled table, never a JSON blob.
    assert (
        "<td>Loans open at other lenders</td><td>3</td>" in body
        or "<td>其他平台未结清借款笔数</td><td>3</td>" in body
    )
    assert '"open_external_loans"' not in body
    assert 'name="credit_limit"' not in body, "status and terms are not edited here"


def test_line_list_does_not_grow_queries_with_lines(client, django_assert_max_num_queries):
    for _ in range(8):
        closing_line()
    client.force_login(staff(roles.AGENT))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:credit_creditline_changelist"))
    assert response.status_code == 200
    for url in ("admin:credit_creditevent_changelist", "admin:credit_creditdecision_changelist"):
        with django_assert_max_num_queries(14):
            assert client.get(reverse(url)).status_code == 200


def test_supervisor_requests_a_re_evaluation_and_the_agent_cannot(
    client, sent_notices, django_capture_on_commit_callbacks
):
    line = make_line(opened_at=NOW - timedelta(days=320))
    repayments(line, first_due=date(2025, 2, 10), count=10)
    multi_lending(line, start=NOW - timedelta(days=10))
    url = reverse("admin:credit_creditline_changelist")
    payload = {"action": "reevaluate", "_selected_action": [line.pk]}

    client.force_login(staff(roles.AGENT))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(url, payload)
    assert callbacks == []
    assert not CreditDecision.objects.exists()

    supervisor = staff(roles.SUPERVISOR)
    client.force_login(supervisor)
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post(url, payload, follow=True)
    assert callbacks  # the chunk task, then its notices task
    assert "Re-evaluation requested for 1 credit line." in text(response) or "已为 1 个" in text(
        response
    )
    decision = CreditDecision.objects.get()
    assert (decision.trigger, decision.actor) == ("staff", supervisor)
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSING
    assert [n["event"] for n in sent_notices] == ["credit.closure_scheduled"]


def test_events_and_decisions_are_read_only_for_everyone(client):
    line = closing_line()
    client.force_login(staff(roles.SUPERVISOR))
    event = line.events.first()
    response = client.post(
        reverse("admin:credit_creditevent_change", args=[event.pk]), {"kind": "bureau_score"}
    )
    assert response.status_code == 403
    decision = line.decisions.first()
    response = client.post(
        reverse("admin:credit_creditdecision_delete", args=[decision.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert CreditDecision.objects.filter(pk=decision.pk).exists()


def test_supervisor_edits_a_reason_code_agent_cannot(client):
    code = ReasonCode.objects.get(code="policy_adjustment")
    url = reverse("admin:credit_reasoncode_change", args=[code.pk])
    data = {
        "category": code.category,
        "appealable": "on",
        "default_buffer_days": 45,
        "title_en": "Product policy change",
        "explanation_en": code.explanation_en,
        "advice_en": code.advice_en,
        "title_zh": code.title_zh,
        "explanation_zh": code.explanation_zh,
        "advice_zh": code.advice_zh,
    }
    client.force_login(staff(roles.AGENT))
    assert client.post(url, data).status_code == 403
    client.force_login(staff(roles.SUPERVISOR))
    response = client.post(url, data)
    assert response.status_code == 302
    code.refresh_from_db()
    assert code.default_buffer_days == 45
    # A title left empty is refused and changes nothing.
    response = client.post(url, {**data, "title_zh": "", "default_buffer_days": 10})
    assert response.status_code == 200
    code.refresh_from_db()
    assert code.default_buffer_days == 45


def test_scorecard_versions_copy_edit_activate_and_compare(client):
    supervisor = staff(roles.SUPERVISOR)
    client.force_login(supervisor)
    changelist = reverse("admin:credit_scorecard_changelist")
    v1 = Scorecard.objects.get(version=1)

    # The active version shows read-only.
    page = text(client.get(reverse("admin:credit_scorecard_change", args=[v1.pk])))
    assert 'name="attributes"' not in page

    client.post(changelist, {"action": "copy_to_draft", "_selected_action": [v1.pk]})
    draft = Scorecard.objects.get(version=2)
    assert draft.status == VersionStatus.DRAFT

    change = reverse("admin:credit_scorecard_change", args=[draft.pk])
    attributes = list(draft.attributes)
    attributes[1] = {
        **attributes[1],
        "bins": [
            {**b, "points": b["points"] + 10} if i == 0 else b
            for i, b in enumerate(attributes[1]["bins"])
        ],
    }
    import json

    response = client.post(
        change,
        {
            "notes": "Weigh open loans more",
            "base_points": 300,
            "attributes": json.dumps(attributes),
        },
    )
    assert response.status_code == 302, text(response)[:2000]

    # Broken rules are refused with the parser's message.
    broken = json.dumps([{"feature": "shoe_size", "reason_code": "x", "bins": [{"points": 1}]}])
    response = client.post(change, {"notes": "", "base_points": 300, "attributes": broken})
    assert response.status_code == 200 and "unknown feature" in text(response)

    response = client.post(changelist, {"action": "compare", "_selected_action": [v1.pk, draft.pk]})
    assert response.status_code == 302
    compare = client.get(response["Location"])
    body = text(compare)
    assert compare.status_code == 200
    assert "open_external_loans · none" in body
    assert "140 pts" in body and "130 pts" in body
    assert "credit-changed" in body

    # Four eyes (issue 11): this supervisor asks; they cannot approve their own request.
    client.post(changelist, {"action": "request_activation", "_selected_action": [draft.pk]})
    response = client.post(changelist, {"action": "activate", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.activation_requested_by == supervisor
    refusal = text(client.get(response["Location"]))
    assert "a second supervisor must approve it" in refusal or "须由另一位主管批准" in refusal
    checker = staff(roles.SUPERVISOR)
    client.force_login(checker)
    client.post(changelist, {"action": "activate", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert (draft.status, v1.status, draft.activated_by) == ("active", "retired", checker)
    assert draft.activation_requested_by == supervisor


def test_an_agent_cannot_activate_or_copy_versions(client):
    client.force_login(staff(roles.AGENT))
    response = client.get(reverse("admin:credit_scorecard_changelist"))
    assert response.status_code == 403


def test_the_compare_page_needs_view_permission(client):
    v1 = Scorecard.objects.get(version=1)
    url = reverse("admin:credit_scorecard_compare", args=[v1.pk, v1.pk])
    client.force_login(staff(roles.AGENT))
    assert client.get(url).status_code == 403
    client.force_login(staff(roles.AUDITOR))
    assert client.get(url).status_code == 200


def test_policy_compare_lists_thresholds_knockouts_and_segments(client):
    from credit.models import DecisionPolicy

    v1 = DecisionPolicy.objects.get(version=1)
    v2 = services.policy_copy_to_draft(source=v1)
    v2.keep_min_score = 710
    services.policy_save_draft(policy=v2)
    client.force_login(staff(roles.SUPERVISOR))
    body = text(client.get(reverse("admin:credit_decisionpolicy_compare", args=[v1.pk, v2.pk])))
    assert "· serious_overdue_elsewhere" in body
    assert "· long_clean_history" in body
    assert "710" in body and ("1 difference." in body or "1 处不同" in body)
    assert Permission.objects.filter(codename="reevaluate_creditline").exists()


def _rechecks_group(response) -> str:
    """The text of the line page's scheduled re-evaluations (the inline named for its rows)."""
    page = text(response)
    start = page.index('id="rechecks-group"')
    return page[start : page.index("</fieldset>", start)]


def test_the_line_page_shows_when_the_line_is_evaluated_again_and_what_that_run_decided(client):
    # An overdue of 65 days 100 days ago and three applications this week: the line closes
    # today and passes again by time alone once the applications are 30 days old.
    line = make_line(opened_at=NOW - timedelta(days=320))
    repayments(line, first_due=date(2025, 2, 10), count=10)
    event(line, "external_overdue", NOW - timedelta(days=100), days_past_due=65, platform="X")
    for i, platform in enumerate(("A", "B", "C")):
        event(
            line, "external_loan_application", NOW - timedelta(days=5, hours=i), platform=platform
        )
    with time_machine.travel(NOW, tick=False):
        services.credit_lines_reevaluate(line_ids=[line.pk], trigger="event")
    recheck = LineRecheck.objects.get(line=line)
    url = reverse("admin:credit_creditline_change", args=[line.pk])
    with translation.override("en"):
        due_on = formats.date_format(recheck.due_on, "DATE_FORMAT")

    for role in (roles.AGENT, roles.REVIEWER, roles.SUPERVISOR, roles.AUDITOR):
        client.force_login(staff(role))
        client.cookies["recourse_language"] = "en"
        group = _rechecks_group(client.get(url))
        assert "Scheduled re-evaluations" in group, role
        assert due_on in group, role
        assert "not run yet" in group, role

    with time_machine.travel(at(recheck.due_on, 9), tick=False):
        services.rechecks_run_due()
    client.force_login(staff(roles.AGENT))
    group = _rechecks_group(client.get(url))
    assert "not run yet" not in group
    assert "Restored" in group, "the run restored the line, and the page says so"

    client.cookies["recourse_language"] = "zh-hans"
    group = _rechecks_group(client.get(url))
    assert "预定的重新评估" in group
    assert "已恢复" in group
    assert "Scheduled re-evaluations" not in group
    assert "Re-evaluation on" not in group, "each row's label is in the staff member's language"
