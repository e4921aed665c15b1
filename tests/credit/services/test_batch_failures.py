"""A chunk that fails every retry (Celery eager: the task's own retries, then its failure
handler): the batch or campaign is marked failed with the chunk and its error, nothing of a
batch applies, supervisors are told (`staff.batch_failed`); a supervisor's retry runs the
chunk again and each line gets exactly one decision and one notice."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from config.celery import app
from credit import services
from credit.models import (
    CampaignLine,
    CampaignLineState,
    CampaignState,
    CreditDecision,
    CreditLine,
    CreditLineStatus,
    DecisionPolicy,
    EvaluationBatch,
    EvaluationBatchFailure,
    EvaluationBatchKind,
    EvaluationBatchState,
    HeldDecision,
    HeldDecisionState,
    PolicyCampaign,
    ReasonCode,
)
from credit.services import campaigns as campaign_services
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.factories import make_line
from tests.credit.services.support import clean_line
from tests.factories import StaffFactory
from tests.support import text

pytestmark = pytest.mark.django_db

TRIES = 6  # the first try and the task's five retries


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def supervisor(db):
    return StaffFactory(role="supervisor")


class Fault:
    """Raises a database error for every try of the chunk that holds `line_id`, until healed."""

    def __init__(self, line_id: int):
        self.line_id, self.tries, self.healed = line_id, 0, False

    def check(self, line_ids) -> None:
        if self.line_id in set(line_ids) and not self.healed:
            self.tries += 1
            raise OperationalError("canceling statement due to statement timeout")


@pytest.fixture
def in_band(settings):
    """Chunks of two lines; a band no batch of a few lines leaves (so a whole batch applies).
    Eager tasks keep their errors as a worker does (retries run in turn, then the failure
    handler), instead of raising them into the code that queued them."""
    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    settings.CREDIT_BREAKER_MIN_LINES = 1000
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    try:
        yield
    finally:
        app.conf.task_eager_propagates = propagates


def _activate_closing_version(supervisor) -> EvaluationBatch:
    """A policy that closes every line, asked for and approved; its batch runs eagerly."""
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.keep_min_score, policy.reduce_min_score, policy.freeze_min_score = 900, 890, 880
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory(role="supervisor"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.policy_activate(policy=policy, actor=supervisor)
    return EvaluationBatch.objects.get(kind=EvaluationBatchKind.ACTIVATION)


def _failed_told():
    return Notification.objects.filter(event="staff.batch_failed")


def test_a_batch_chunk_failing_every_retry_fails_the_batch_and_a_retry_applies_it_once(
    clock, sent_notices, in_band, supervisor, monkeypatch
):
    lines = [clean_line() for _ in range(4)]
    fault = Fault(lines[2].pk)  # the second chunk of two
    real = services.credit_lines_reevaluate

    def flaky(*, line_ids, **kw):
        fault.check(line_ids)
        return real(line_ids=line_ids, **kw)

    monkeypatch.setattr(services, "credit_lines_reevaluate", flaky)

    batch = _activate_closing_version(supervisor)

    assert fault.tries == TRIES
    assert (batch.state, batch.failed_at) == (EvaluationBatchState.FAILED, NOW)
    assert batch.lines_evaluated == 2  # the first chunk is in, staged
    (failure,) = EvaluationBatchFailure.objects.filter(batch=batch)
    assert (failure.first_line_id, failure.lines) == (lines[2].pk, 2)
    assert failure.error == "OperationalError: canceling statement due to statement timeout"
    assert failure.task_args == [[lines[2].pk, lines[3].pk], "staff", supervisor.pk, batch.pk]
    # A batch waiting for a chunk applies nothing and tells no borrower.
    assert not CreditDecision.objects.exists()
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.ACTIVE}
    assert len(sent_notices) == 0
    assert set(HeldDecision.objects.values_list("state", flat=True)) == {HeldDecisionState.STAGED}
    # Supervisors are told which chunk and why, with a link to the batch.
    told = _failed_told().get(recipient=supervisor, channel="inbox")
    assert f"#{lines[2].pk} (+1)" in told.body_text
    assert "statement timeout" in told.body_text
    assert told.link == f"/admin/credit/evaluationbatch/{batch.pk}/change/"
    # The sweep of stalled runs leaves it alone: it waits for a person.
    services.evaluation_batches_resume_released()
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.FAILED

    fault.healed = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.evaluation_batch_retry_failed(batch=batch, actor=supervisor) == 1

    batch.refresh_from_db()
    failure.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    assert (failure.retried_by, failure.retried_at, failure.resolved_at) == (supervisor, NOW, NOW)
    assert batch.lines_evaluated == 4
    assert sorted(CreditDecision.objects.values_list("line_id", flat=True)) == sorted(
        line.pk for line in lines
    )
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.CLOSING}
    assert sorted(n["obj"].line_id for n in sent_notices) == sorted(line.pk for line in lines)
    assert {n["event"] for n in sent_notices} == {"credit.closure_scheduled"}
    # A second retry is refused and changes nothing.
    with pytest.raises(ValidationError, match="Only a failed batch"):
        services.evaluation_batch_retry_failed(batch=batch, actor=supervisor)
    assert CreditDecision.objects.count() == 4


def test_a_failed_batch_that_fails_again_tells_again_and_can_be_discarded(
    clock, sent_notices, in_band, supervisor, monkeypatch
):
    lines = [clean_line() for _ in range(3)]
    fault = Fault(lines[2].pk)
    real = services.credit_lines_reevaluate

    def flaky(*, line_ids, **kw):
        fault.check(line_ids)
        return real(line_ids=line_ids, **kw)

    monkeypatch.setattr(services, "credit_lines_reevaluate", flaky)
    batch = _activate_closing_version(supervisor)
    assert _failed_told().filter(recipient=supervisor, channel="inbox").count() == 1

    clock.shift(timedelta(minutes=5))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.evaluation_batch_retry_failed(batch=batch, actor=supervisor)
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.FAILED
    assert EvaluationBatchFailure.objects.get(batch=batch).failures == 2
    assert _failed_told().filter(recipient=supervisor, channel="inbox").count() == 2

    # Discarded: nothing of the batch applies, and the version it replaced is back.
    services.evaluation_batch_discard(batch=batch, actor=supervisor, note="Broken.")
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.DISCARDED
    assert DecisionPolicy.objects.get(status="active").version == 1
    assert not CreditDecision.objects.exists()
    assert len(sent_notices) == 0


def test_a_chunk_failing_for_a_batch_already_decided_changes_nothing(clock, supervisor):
    clean_line()
    batch = services.evaluation_batch_start(kind="nightly", name="Nightly", trigger="periodic")
    batch.state = EvaluationBatchState.COMPLETED
    batch.save()
    assert not services.evaluation_batch_chunk_failed(
        batch_id=batch.pk, line_ids=[1], task_args=[], error="boom"
    )
    assert not EvaluationBatchFailure.objects.exists()
    assert not _failed_told().exists()


# --- Campaigns ------------------------------------------------------------------------------


def test_a_campaign_chunk_failing_every_retry_stops_the_campaign_and_a_retry_finishes_it_once(
    clock, sent_notices, in_band, supervisor, monkeypatch
):
    lines = [make_line(opened_at=NOW - timedelta(days=400)) for _ in range(5)]
    fault = Fault(lines[2].pk)  # the second chunk of two
    real = campaign_services._apply_rows

    def flaky(campaign, entries, lines_by_id, *, now):
        fault.check([e.line_id for e in entries])
        return real(campaign, entries, lines_by_id, now=now)

    monkeypatch.setattr(campaign_services, "_apply_rows", flaky)
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause dormant lines",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            notice_days=30,
        ),
        actor=supervisor,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_start(campaign=campaign, actor=supervisor)

    campaign.refresh_from_db()
    assert fault.tries == TRIES
    assert (campaign.state, campaign.failed_state) == (CampaignState.FAILED, CampaignState.RUNNING)
    assert (campaign.failed_first_line_id, campaign.failed_at) == (lines[2].pk, NOW)
    assert campaign.error == "OperationalError: canceling statement due to statement timeout"
    assert campaign.lines_done == 2
    assert [n["obj"].line_id for n in sent_notices] == [lines[0].pk, lines[1].pk]
    told = _failed_told().get(recipient=supervisor, channel="inbox")
    assert "Pause dormant lines" in told.body_text
    assert f"#{lines[2].pk} (+1)" in told.body_text
    # The stalled-run sweep no longer restarts it in a loop.
    clock.shift(timedelta(hours=1))
    assert services.campaigns_resume_stalled() == 0

    fault.healed = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.campaign_retry(campaign=campaign, actor=supervisor) == 3
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    assert campaign.lines_done == 5
    assert sorted(CreditDecision.objects.values_list("line_id", flat=True)) == sorted(
        line.pk for line in lines
    )
    assert sorted(n["obj"].line_id for n in sent_notices) == sorted(line.pk for line in lines)
    assert set(CampaignLine.objects.values_list("state", flat=True)) == {CampaignLineState.APPLIED}
    assert set(CreditLine.objects.values_list("status", flat=True)) == {CreditLineStatus.FROZEN}
    with pytest.raises(ValidationError, match="Only a failed campaign"):
        services.campaign_retry(campaign=campaign, actor=supervisor)


# --- In the admin ---------------------------------------------------------------------------


def test_a_supervisor_sees_the_failed_chunk_in_the_admin_and_retries_it(
    client, clock, sent_notices, in_band, supervisor, monkeypatch
):
    lines = [clean_line() for _ in range(3)]
    fault = Fault(lines[2].pk)
    real = services.credit_lines_reevaluate

    def flaky(*, line_ids, **kw):
        fault.check(line_ids)
        return real(line_ids=line_ids, **kw)

    monkeypatch.setattr(services, "credit_lines_reevaluate", flaky)
    batch = _activate_closing_version(supervisor)
    page_url = reverse("admin:credit_evaluationbatch_change", args=[batch.pk])

    client.cookies["recourse_language"] = "en"
    client.force_login(StaffFactory(role="reviewer"))  # may read, may not retry
    page = text(client.get(page_url))
    assert "Stopped: a chunk failed every retry" in page
    assert f"#{lines[2].pk}" in page and "statement timeout" in page
    assert "Retry the failed chunks" not in page
    response = client.post(reverse("admin:credit_evaluationbatch_retry", args=[batch.pk]))
    assert response.status_code == 403

    client.force_login(supervisor)
    assert "Retry the failed chunks" in text(client.get(page_url))
    fault.healed = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("admin:credit_evaluationbatch_retry", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.state == EvaluationBatchState.COMPLETED
    assert CreditDecision.objects.count() == 3 == len(sent_notices)
    page = text(client.get(page_url))
    assert "Stopped" not in page and supervisor.get_full_name() in page  # who retried


def test_a_supervisor_retries_a_failed_campaign_from_its_page(
    client, clock, sent_notices, in_band, supervisor, monkeypatch
):
    lines = [make_line(opened_at=NOW - timedelta(days=400)) for _ in range(3)]
    fault = Fault(lines[2].pk)
    real = campaign_services._apply_rows

    def flaky(campaign, entries, lines_by_id, *, now):
        fault.check([e.line_id for e in entries])
        return real(campaign, entries, lines_by_id, now=now)

    monkeypatch.setattr(campaign_services, "_apply_rows", flaky)
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause dormant lines",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            notice_days=30,
        ),
        actor=supervisor,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_start(campaign=campaign, actor=supervisor)
    client.cookies["recourse_language"] = "en"
    client.force_login(supervisor)
    page_url = reverse("admin:credit_policycampaign_change", args=[campaign.pk])
    page = text(client.get(page_url))
    assert f"a chunk failed every retry, from line #{lines[2].pk}" in page
    assert "statement timeout" in page and "Retry from where it failed" in page

    fault.healed = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("admin:credit_policycampaign_retry", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPLETED
    assert CreditDecision.objects.count() == 3 == len(sent_notices)


def test_a_failed_campaign_can_be_cancelled_and_its_waiting_lines_are_never_touched(
    clock, sent_notices, in_band, supervisor, monkeypatch
):
    lines = [make_line(opened_at=NOW - timedelta(days=400)) for _ in range(3)]
    fault = Fault(lines[2].pk)
    real = campaign_services._apply_rows

    def flaky(campaign, entries, lines_by_id, *, now):
        fault.check([e.line_id for e in entries])
        return real(campaign, entries, lines_by_id, now=now)

    monkeypatch.setattr(campaign_services, "_apply_rows", flaky)
    campaign = services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause dormant lines",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            notice_days=30,
        ),
        actor=supervisor,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.campaign_start(campaign=campaign, actor=supervisor)
    services.campaign_cancel(campaign=campaign, actor=supervisor)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CANCELLED
    with pytest.raises(ValidationError, match="Only a failed campaign"):
        services.campaign_retry(campaign=campaign, actor=supervisor)
    assert CreditDecision.objects.count() == 2
    lines[2].refresh_from_db()
    assert lines[2].status == CreditLineStatus.ACTIVE
