"""System-error corrections: exactly the affected lines restored, one apology each, the
erroneous decisions kept and marked with a pointer to the correction."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from credit import services
from credit.models import (
    CorrectedDecision,
    CorrectionLineState,
    CorrectionState,
    CreditDecision,
    CreditLineStatus,
    DecisionPolicy,
    SystemCorrection,
)
from tests.credit.conftest import NOW
from tests.credit.factories import multi_lending
from tests.credit.services.support import clean_line, reevaluate
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(db):
    return StaffFactory(role="supervisor")


def wrongly_closed(count):
    """Lines the v1 policy put into closing (as a faulty version would)."""
    made = []
    for _ in range(count):
        line = clean_line()
        multi_lending(line, start=NOW - timedelta(days=10))
        reevaluate(line)
        assert line.status == CreditLineStatus.CLOSING
        made.append(line)
    return made


def correction(supervisor, **fields):
    values = {
        "name": "Faulty policy v1 run",
        "decided_from": NOW - timedelta(hours=1),
        "decided_to": NOW + timedelta(hours=1),
        "policy": DecisionPolicy.objects.get(version=1),
    }
    values.update(fields)
    return services.correction_save_draft(correction=SystemCorrection(**values), actor=supervisor)


def run_chunk(correction_obj) -> int:
    """One chunk, as the task runs it: its apologies go out after it commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.correction_run_chunk(correction_id=correction_obj.pk)


def run(correction_obj):
    while run_chunk(correction_obj):
        pass
    correction_obj.refresh_from_db()


def test_a_correction_restores_exactly_the_affected_lines_with_one_apology_each(
    clock, sent_notices, supervisor, settings
):
    settings.CREDIT_CAMPAIGN_CHUNK_SIZE = 2
    affected = wrongly_closed(3)
    bystander = clean_line()
    erroneous = list(CreditDecision.objects.order_by("id"))
    before = len(sent_notices)

    fix = correction(supervisor)
    assert list(services.correction_decisions(fix)) == erroneous[::-1]
    assert services.correction_start(correction=fix, actor=supervisor) == 3
    run(fix)
    assert fix.state == CorrectionState.COMPLETED
    assert (fix.lines_done, fix.lines_total) == (3, 3)

    for line in affected:
        line.refresh_from_db()
        assert (line.status, line.credit_limit) == (CreditLineStatus.ACTIVE, Decimal("20000.00"))
        assert line.closing_effective_at is None
    bystander.refresh_from_db()
    assert not bystander.decisions.exists()
    apologies = sent_notices[before:]
    assert [n["event"] for n in apologies] == ["credit.system_error_corrected"] * 3
    assert {n["recipient"] for n in apologies} == {line.borrower for line in affected}
    for decision in erroneous:
        decision.refresh_from_db()  # still there, unchanged, now pointing at its correction
        assert decision.correction_entry.correction == fix
        assert decision.correction_entry.state == CorrectionLineState.RESTORED
        assert decision.correction_entry.restore_decision.trigger == "correction"

    # Nothing left to do: a repeated task restores and apologises for nothing more.
    assert run_chunk(fix) == 0
    assert len(sent_notices) == before + 3
    # The same decisions cannot be picked by a second correction.
    assert not services.correction_decisions(correction(supervisor)).exists()


def test_a_line_decided_since_is_left_for_a_person_and_its_decision_still_marked(
    clock, sent_notices, supervisor
):
    first, second = wrongly_closed(2)
    services.credit_line_decide(
        line=second, outcome="freeze", trigger="staff", reason_codes=["policy_adjustment"]
    )
    fix = correction(supervisor)
    services.correction_start(correction=fix, actor=supervisor)
    run(fix)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == CreditLineStatus.ACTIVE
    assert second.status == CreditLineStatus.FROZEN
    states = dict(CorrectedDecision.objects.values_list("line_id", "state"))
    assert states == {first.pk: CorrectionLineState.RESTORED, second.pk: CorrectionLineState.KEPT}


def test_decisions_outside_the_window_or_of_another_trigger_are_not_touched(
    clock, sent_notices, supervisor
):
    (line,) = wrongly_closed(1)
    assert not services.correction_decisions(
        correction(supervisor, decided_from=NOW + timedelta(minutes=5))
    ).exists()
    assert not services.correction_decisions(correction(supervisor, trigger="staff")).exists()
    assert services.correction_decisions(correction(supervisor, trigger="event")).count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"policy": None}, "__all__"),
        ({"decided_to": NOW - timedelta(hours=2)}, "decided_to"),
        ({"trigger": "nonsense"}, "trigger"),
    ],
)
def test_a_correction_that_breaks_a_rule_is_refused(clock, supervisor, fields, field):
    with pytest.raises(ValidationError) as raised:
        correction(supervisor, **fields)
    assert field in raised.value.message_dict
    assert not SystemCorrection.objects.exists()
