"""Staged decisions in the admin: the key-customer review queue (confirm, override) and a held
batch (what would change by outcome, segment and reason code; release, discard)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from credit import services
from credit.models import (
    CreditDecision,
    CreditLineStatus,
    DecisionReview,
    DecisionReviewState,
    EvaluationBatch,
    EvaluationBatchState,
)
from tests.credit.conftest import NOW
from tests.credit.factories import multi_lending
from tests.credit.services.support import clean_line, reevaluate, with_key_customer_segment
from tests.credit.services.test_batch_breaker import activate, broken_policy
from tests.factories import StaffFactory
from tests.support import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies["recourse_language"] = "en"  # the sentences checked are the English ones
    return client


@pytest.fixture
def band(settings):
    settings.CREDIT_BREAKER_MIN_LINES = 2
    settings.CREDIT_BREAKER_ABSOLUTE_SHARE = 0.5


def staged_review():
    with_key_customer_segment()
    line = clean_line()
    services.credit_lines_key_customer_set(line_ids=[line.pk], key_customer=True)
    multi_lending(line, start=NOW - timedelta(days=10))
    reevaluate(line)
    return line, DecisionReview.objects.get(line=line)


def test_a_reviewer_sees_the_queue_and_confirms(
    client, clock, sent_notices, django_assert_max_num_queries
):
    line, review = staged_review()
    client.force_login(StaffFactory(role="reviewer"))
    with django_assert_max_num_queries(15):
        listing = client.get(reverse("admin:credit_decisionreview_changelist"))
    assert line.borrower.customer_id in text(listing)
    page = text(client.get(reverse("admin:credit_decisionreview_change", args=[review.pk])))
    assert "this decision has not taken effect and the borrower has not been told" in page
    assert "key_customer" in page

    response = client.post(
        reverse("admin:credit_decisionreview_confirm", args=[review.pk]),
        {"comment": "Checked with the relationship manager."},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    line.refresh_from_db()
    assert review.state == DecisionReviewState.CONFIRMED
    assert review.comment == "Checked with the relationship manager."
    assert line.status == CreditLineStatus.CLOSING
    assert [n["event"] for n in sent_notices] == ["credit.closure_scheduled"]


def test_a_reviewer_overrides_with_a_reason_and_a_bad_form_changes_nothing(
    client, clock, sent_notices
):
    line, review = staged_review()
    client.force_login(StaffFactory(role="reviewer"))
    url = reverse("admin:credit_decisionreview_override", args=[review.pk])
    refused = client.post(url, {"outcome": "freeze", "reason_code": "", "comment": ""}, follow=True)
    assert "This field is required" in text(refused)
    review.refresh_from_db()
    assert review.state == DecisionReviewState.PENDING

    client.post(
        url, {"outcome": "freeze", "reason_code": "policy_adjustment", "comment": "Pause first."}
    )
    review.refresh_from_db()
    line.refresh_from_db()
    assert (review.state, line.status) == (DecisionReviewState.OVERRIDDEN, CreditLineStatus.FROZEN)
    assert review.decision.note == "Pause first."
    assert [n["event"] for n in sent_notices] == ["credit.frozen"]


def test_an_agent_may_read_the_queue_but_not_decide(client, clock, sent_notices):
    _, review = staged_review()
    client.force_login(StaffFactory(role="agent"))
    assert client.get(reverse("admin:credit_decisionreview_changelist")).status_code == 200
    response = client.post(reverse("admin:credit_decisionreview_confirm", args=[review.pk]))
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.state == DecisionReviewState.PENDING


def test_a_supervisor_sees_what_a_held_batch_would_change_and_releases_it(
    client, clock, sent_notices, band, django_capture_on_commit_callbacks
):
    for _ in range(3):
        clean_line()
    supervisor = StaffFactory(role="supervisor")
    batch = activate(broken_policy(), supervisor)
    client.force_login(supervisor)
    page = text(client.get(reverse("admin:credit_evaluationbatch_change", args=[batch.pk])))
    assert "Held by the circuit breaker" in page
    assert "3 decisions are staged in this batch" in page
    assert "Closure scheduled" in page and "account_age_short" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:credit_evaluationbatch_release", args=[batch.pk]),
            {"note": "Cut-offs checked."},
        )
    batch.refresh_from_db()
    assert (batch.state, batch.review_note) == (EvaluationBatchState.COMPLETED, "Cut-offs checked.")
    assert CreditDecision.objects.count() == 3


def test_a_reviewer_cannot_release_a_held_batch(client, clock, sent_notices, band):
    for _ in range(3):
        clean_line()
    batch = activate(broken_policy(), StaffFactory(role="supervisor"))
    client.force_login(StaffFactory(role="reviewer"))
    response = client.post(reverse("admin:credit_evaluationbatch_discard", args=[batch.pk]))
    assert response.status_code == 403
    assert EvaluationBatch.objects.get().state == EvaluationBatchState.HELD


def test_batches_are_listed_and_shown_by_their_name_in_the_staff_members_language(
    client, clock, sent_notices, band
):
    for _ in range(4):
        clean_line()
    supervisor = StaffFactory(role="supervisor")
    policy = broken_policy()
    batch = activate(policy, supervisor)
    client.force_login(supervisor)
    for language, name, other in (
        ("zh-hans", f"决策策略 v{policy.version} 已启用", "activated"),
        ("en", f"Decision policy v{policy.version} activated", "已启用"),
    ):
        client.cookies["recourse_language"] = language
        listed = text(client.get(reverse("admin:credit_evaluationbatch_changelist")))
        shown = text(client.get(reverse("admin:credit_evaluationbatch_change", args=[batch.pk])))
        for page in (listed, shown):
            assert name in page, language
            assert f"v{policy.version} {other}" not in page, language
