"""System-error corrections in the admin: a supervisor chooses, previews and runs one."""

from datetime import timedelta

import pytest
from django.urls import reverse

from credit.models import CorrectionState, CreditLineStatus, DecisionPolicy, SystemCorrection
from tests.credit.conftest import NOW
from tests.credit.factories import multi_lending
from tests.credit.services.support import clean_line, reevaluate
from tests.factories import StaffFactory
from tests.support import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies["recourse_language"] = "en"  # the sentences checked are the English ones
    return client


def form(**overrides):
    data = {
        "name": "Policy v1 closed clean lines by mistake",
        "note": "",
        "decided_from_0": "2025-12-05",
        "decided_from_1": "00:00:00",
        "decided_to_0": "2025-12-06",
        "decided_to_1": "00:00:00",
        "scorecard": "",
        "policy": DecisionPolicy.objects.get(version=1).pk,
        "trigger": "",
        "reason_code": "",
        "event_source": "",
    }
    data.update(overrides)
    return data


def test_a_supervisor_previews_and_runs_a_correction(
    client, clock, sent_notices, django_capture_on_commit_callbacks
):
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    reevaluate(line)
    client.force_login(StaffFactory(role="supervisor"))

    assert client.post(reverse("admin:credit_systemcorrection_add"), form()).status_code == 302
    correction = SystemCorrection.objects.get()
    page = text(client.get(reverse("admin:credit_systemcorrection_change", args=[correction.pk])))
    assert "1 credit line would be restored, each with one apology" in page
    assert "Closure scheduled" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:credit_systemcorrection_start", args=[correction.pk]))
    correction.refresh_from_db()
    line.refresh_from_db()
    assert correction.state == CorrectionState.COMPLETED
    assert line.status == CreditLineStatus.ACTIVE
    assert sent_notices[-1]["event"] == "credit.system_error_corrected"
    page = text(client.get(reverse("admin:credit_systemcorrection_change", args=[correction.pk])))
    assert "1 of 1 lines (100%)" in page


def test_a_correction_without_a_narrowing_choice_is_refused(client, clock):
    client.force_login(StaffFactory(role="supervisor"))
    response = client.post(reverse("admin:credit_systemcorrection_add"), form(policy=""))
    assert response.status_code == 200
    assert "the time window alone is too wide" in text(response)
    assert not SystemCorrection.objects.exists()
