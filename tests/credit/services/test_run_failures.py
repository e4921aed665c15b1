"""System-error corrections and shadow runs whose chunk fails every retry (Celery eager: the
task's own retries, then its failure handler), as batches and campaigns do: the run stops
where it was, failed with the error, supervisors are told (`staff.batch_failed`), the
stalled-run sweep leaves it alone, and a supervisor retries it from where it failed (each line
restored or tried exactly once) or cancels it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEntry
from credit import selectors, services
from credit.models import (
    CorrectedDecision,
    CorrectionLineState,
    CorrectionState,
    CreditDecision,
    CreditLineStatus,
    ShadowLine,
    ShadowState,
)
from credit.services import corrections as correction_services
from notifications.models import Notification
from tests.credit.conftest import NOW
from tests.credit.monitoring_fixture import draft_policy
from tests.credit.services.test_batch_failures import TRIES, Fault, in_band  # noqa: F401
from tests.credit.services.test_corrections import correction, wrongly_closed
from tests.credit.services.test_shadow import draft_run, five_lines  # noqa: F401
from tests.factories import StaffFactory
from tests.support import text

# Chunks of two; eager tasks keep their errors as a worker does (test_batch_failures.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_band")]

ERROR = "OperationalError: canceling statement due to statement timeout"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def supervisor(db):
    return StaffFactory(role="supervisor")


def _told():
    return Notification.objects.filter(event="staff.batch_failed", channel="inbox")


@pytest.fixture
def flaky_correction(monkeypatch):
    """Five wrongly closed lines; restoring the third (the second chunk of two) fails until
    healed."""
    lines = wrongly_closed(5)
    fault = Fault(lines[2].pk)
    real = correction_services._apply_plan

    def flaky(line, plan, *, now):
        fault.check([line.pk])
        return real(line, plan, now=now)

    monkeypatch.setattr(correction_services, "_apply_plan", flaky)
    return lines, fault


def _start_correction(supervisor):
    fix = correction(supervisor)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.correction_start(correction=fix, actor=supervisor)
    fix.refresh_from_db()
    return fix


def _apologies(sent_notices):
    return [n for n in sent_notices if n["event"] == "credit.system_error_corrected"]


def test_a_correction_chunk_failing_every_retry_stops_it_and_a_retry_finishes_it_once(
    clock, sent_notices, supervisor, flaky_correction
):
    lines, fault = flaky_correction

    fix = _start_correction(supervisor)

    assert fault.tries == TRIES
    assert (fix.state, fix.failed_at, fix.error) == (CorrectionState.FAILED, NOW, ERROR)
    assert fix.lines_done == 2  # the first chunk is restored and stays so
    assert len(_apologies(sent_notices)) == 2
    for line in lines[2:]:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.CLOSING
    (told,) = _told()
    assert told.recipient == supervisor
    assert f"#{lines[2].pk} (+1)" in told.body_text and "statement timeout" in told.body_text
    assert told.link == f"/admin/credit/systemcorrection/{fix.pk}/change/"

    # The stalled-run sweep no longer restarts it in a loop, however long it waits.
    clock.shift(timedelta(hours=2))
    assert services.corrections_resume_stalled() == 0
    assert fault.tries == TRIES

    fault.healed = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.correction_retry(correction=fix, actor=supervisor) == 3
    fix.refresh_from_db()
    assert fix.state == CorrectionState.COMPLETED and fix.lines_done == 5
    for line in lines:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.ACTIVE
    # One restoring decision and one apology per line, whatever failed in between.
    restoring = CreditDecision.objects.filter(trigger="correction")
    assert sorted(restoring.values_list("line_id", flat=True)) == sorted(x.pk for x in lines)
    assert sorted(n["recipient"].pk for n in _apologies(sent_notices)) == sorted(
        x.borrower.pk for x in lines
    )
    assert AuditEntry.objects.filter(kind="credit.correction", summary__startswith="retry").exists()
    with pytest.raises(ValidationError, match="Only a run that failed"):
        services.correction_retry(correction=fix, actor=supervisor)
    # A late failure of a copy of a chunk changes nothing once the correction is done.
    assert not services.correction_chunk_failed(correction_id=fix.pk, error="late")
    assert _told().count() == 1


def test_a_failed_correction_cancelled_leaves_its_waiting_lines_as_they_are(
    clock, sent_notices, supervisor, flaky_correction
):
    lines, _ = flaky_correction
    fix = _start_correction(supervisor)

    services.correction_cancel(correction=fix, actor=supervisor)
    fix.refresh_from_db()
    assert fix.state == CorrectionState.CANCELLED and fix.finished_at == NOW
    with pytest.raises(ValidationError, match="Only a run that failed"):
        services.correction_retry(correction=fix, actor=supervisor)
    assert services.correction_run_chunk(correction_id=fix.pk) == 0
    for line in lines[2:]:
        line.refresh_from_db()
        assert line.status == CreditLineStatus.CLOSING
    assert (
        CorrectedDecision.objects.filter(correction=fix, state=CorrectionLineState.PENDING).count()
        == 3
    )
    assert len(_apologies(sent_notices)) == 2
    assert AuditEntry.objects.filter(
        kind="credit.correction", summary__startswith="cancel"
    ).exists()
    with pytest.raises(ValidationError, match="Only a running or failed correction"):
        services.correction_cancel(correction=fix, actor=supervisor)


def test_a_supervisor_retries_a_failed_correction_from_its_page(
    client, clock, sent_notices, supervisor, flaky_correction
):
    lines, fault = flaky_correction
    fix = _start_correction(supervisor)
    page_url = reverse("admin:credit_systemcorrection_change", args=[fix.pk])
    client.cookies["recourse_language"] = "en"

    client.force_login(StaffFactory(role="reviewer"))  # may read, may not retry
    page = text(client.get(page_url))
    assert "a chunk failed every retry" in page and "statement timeout" in page
    assert "Retry from where it failed" not in page
    assert (
        client.post(reverse("admin:credit_systemcorrection_retry", args=[fix.pk])).status_code
        == 403
    )
    assert (
        client.post(reverse("admin:credit_systemcorrection_cancel", args=[fix.pk])).status_code
        == 403
    )

    client.force_login(supervisor)
    page = text(client.get(page_url))
    assert "Retry from where it failed" in page and "Cancel the correction" in page
    fault.healed = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("admin:credit_systemcorrection_retry", args=[fix.pk]))
    fix.refresh_from_db()
    assert fix.state == CorrectionState.COMPLETED
    page = text(client.get(page_url))
    assert "a chunk failed every retry" not in page and "Retry from where it failed" not in page


@pytest.fixture
def flaky_shadow(monkeypatch, request):
    """Five lines; trying the third (the second chunk of two) fails until healed."""
    card, _, lines = request.getfixturevalue("five_lines")
    fault = Fault(lines[2].pk)
    real = selectors.lines_for_evaluation

    def flaky(ids):
        fault.check(ids)
        return real(ids)

    monkeypatch.setattr(selectors, "lines_for_evaluation", flaky)
    return card, lines, fault


def _start_shadow(card, supervisor):
    run = draft_run(card, draft_policy(), supervisor)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.shadow_start(run=run, actor=supervisor)
    run.refresh_from_db()
    return run


def test_a_shadow_chunk_failing_every_retry_stops_the_run_and_a_retry_finishes_it_once(
    clock, supervisor, flaky_shadow
):
    card, lines, fault = flaky_shadow

    run = _start_shadow(card, supervisor)

    assert fault.tries == TRIES
    assert (run.state, run.failed_at, run.error) == (ShadowState.FAILED, NOW, ERROR)
    assert run.lines_done == 2 and ShadowLine.objects.filter(run=run).count() == 2
    (told,) = _told()
    assert (told.recipient, told.link) == (supervisor, f"/admin/credit/shadowrun/{run.pk}/change/")
    assert f"#{lines[2].pk} (+1)" in told.body_text

    clock.shift(timedelta(hours=2))
    assert services.shadow_runs_resume_stalled() == 0
    assert fault.tries == TRIES

    fault.healed = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.shadow_run_retry(run=run, actor=supervisor) == 3
    run.refresh_from_db()
    assert run.state == ShadowState.COMPLETED and run.lines_done == 5
    # Every line tried exactly once: no line skipped or repeated across the failure.
    assert sorted(ShadowLine.objects.filter(run=run).values_list("line_id", flat=True)) == sorted(
        x.pk for x in lines
    )
    assert not CreditDecision.objects.exists()


def test_a_failed_shadow_run_can_be_cancelled_from_its_page(
    client, clock, supervisor, flaky_shadow
):
    card, _, _ = flaky_shadow
    run = _start_shadow(card, supervisor)
    page_url = reverse("admin:credit_shadowrun_change", args=[run.pk])
    client.cookies["recourse_language"] = "en"
    client.force_login(supervisor)

    page = text(client.get(page_url))
    assert "a chunk failed every retry" in page
    assert "Retry from where it failed" in page and "Cancel the shadow run" in page
    client.cookies["recourse_language"] = "zh-hans"
    page = text(client.get(page_url))
    assert "一个分块多次重试后仍然失败" in page and "取消影子运行" in page
    client.post(reverse("admin:credit_shadowrun_cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == ShadowState.CANCELLED
    with translation.override("en"), pytest.raises(ValidationError, match="Only a run that"):
        services.shadow_run_retry(run=run, actor=supervisor)
    assert ShadowLine.objects.filter(run=run).count() == 2
