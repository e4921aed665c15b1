"""Before and after an appeal: the decision appealed and the one in force after it, side by
side on the appeal page, with real decisions made by the engine and the appeal services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appeals import comparison, services
from appeals.models import AppealStatus
from tests.appeals import factories as f
from tests.credit.factories import at, close_external_loans
from tests.credit.story import closing_line
from tests.support import plain

pytestmark = pytest.mark.django_db


def _page(client, appeal, language="en") -> str:
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = language
    response = client.get(reverse("appeals:detail", args=[appeal.pk]))
    assert response.status_code == 200
    return plain(response)


def _auto_approved(django_capture_on_commit_callbacks):
    appeal = f.draft_appeal()
    close_external_loans(appeal.line, when=at(timezone.localdate() - timedelta(days=1)))
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.AUTO_APPROVED
    return appeal


def test_an_appeal_being_worked_shows_no_comparison_yet(client):
    appeal = f.in_review_appeal()
    assert comparison.before_after(appeal) is None
    assert "Before and after your appeal" not in _page(client, appeal)


def test_a_re_evaluation_that_restores_the_line_shows_the_score_rise_and_cleared_reasons(
    client, django_capture_on_commit_callbacks
):
    appeal = _auto_approved(django_capture_on_commit_callbacks)
    before, after = appeal.decision, appeal.credit_decision
    assert after.score > before.score  # the other loans closed: the score went back up

    ba = comparison.before_after(appeal)
    assert (ba.before.score, ba.after.score) == (before.score, after.score)
    assert ba.score_change == after.score - before.score
    appealed_codes = [r.reason_code.code for r in before.reasons_ranked]
    assert appealed_codes, "a scored closure has reasons"
    assert [r.code for r in ba.reasons] == appealed_codes
    assert {r.state for r in ba.reasons} == {comparison.CLEARED}
    assert not ba.unchanged and not ba.by_person
    # Income was never verified: that reason cleared (the line passes again) but still costs.
    # The applications at other platforms do not go away when the loans close: that reason
    # cleared (the line passes again) but still costs the points it did.
    applications = next(r for r in ba.reasons if r.code == "multi_lending_applications")
    assert applications.points_after == applications.points_before == 70

    body = _page(client, appeal)
    assert "Before and after your appeal" in body
    assert f"{before.score}" in body and f"{after.score} (+{after.score - before.score})" in body
    assert "Closure scheduled" in body and "Restored" in body
    assert "Closing" in body and "Active" in body
    assert body.count("Cleared") == len(appealed_codes)
    assert "It still costs 70 points, but your credit score is now high enough" in body
    for reason in before.reasons_ranked:
        assert reason.title_en in body


def test_the_comparison_reads_in_chinese(client, django_capture_on_commit_callbacks):
    appeal = _auto_approved(django_capture_on_commit_callbacks)
    body = _page(client, appeal, language="zh-hans")
    assert "申诉前后对比" in body
    assert "已消除" in body
    for reason in appeal.decision.reasons_ranked:
        assert reason.title_zh in body


def test_a_reviewers_approval_sets_the_reasons_aside_without_inventing_a_score(client):
    appeal = f.in_review_appeal()
    appeal = services.appeal_approve(appeal=appeal, actor=f.reviewer(), explanation="核实无误。")

    ba = comparison.before_after(appeal)
    assert ba.after.score is None and ba.by_person
    assert ba.after.limit == appeal.decision.old_limit
    assert {r.state for r in ba.reasons} == {comparison.SET_ASIDE}

    body = _page(client, appeal)
    assert "not scored again" in body
    assert "A person decided your appeal: your credit line was not scored again." in body
    assert "Set aside" in body and "Cleared" not in body


def test_a_partial_approval_says_the_reasons_were_weighed_and_shows_the_lower_limit(client):
    appeal = f.in_review_appeal()
    appeal = services.appeal_partially_approve(
        appeal=appeal, actor=f.reviewer(), explanation="部分恢复。", new_limit="8000"
    )
    ba = comparison.before_after(appeal)
    assert ba.after.limit == 8000 and ba.after.status == "active"
    assert {r.state for r in ba.reasons} == {comparison.WEIGHED}
    assert "¥8,000" in _page(client, appeal)


def test_a_denial_shows_the_decision_upheld_with_every_reason_still_applying(client):
    line = closing_line(days_ago=28)  # the denial postpones the closure: an unscored decision
    appeal = f.denied_appeal(line=line)
    assert line.decisions.filter(trigger="appeal").exists()

    ba = comparison.before_after(appeal)
    assert ba.unchanged
    assert ba.after.score == ba.before.score
    assert {r.state for r in ba.reasons} == {comparison.REMAINS}

    body = _page(client, appeal)
    assert "The decision you appealed still stands" in body
    assert "Upheld" in body and "Still applies" in body and "Cleared" not in body
