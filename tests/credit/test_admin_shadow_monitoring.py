"""Shadow runs and monitoring in the admin: a supervisor tries a draft policy on every line and
reads what would change; the draft's page and its activation warn while the run is missing or
older than the data; the monitoring page draws each version's daily figures."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from credit import services
from credit.models import MonitoringAlert, MonitoringDay, ShadowRun, ShadowState
from tests.credit.conftest import NOW
from tests.credit.factories import event
from tests.credit.monitoring_fixture import draft_policy, hand_rules, line_with_bureau
from tests.factories import StaffFactory
from tests.support import plain, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies["recourse_language"] = "en"
    return client


def test_a_supervisor_runs_a_shadow_run_and_reads_what_would_change(
    client, clock, django_capture_on_commit_callbacks
):
    card, _ = hand_rules()
    lines = [line_with_bureau(s) for s in (650, 560, 450, None, 700)]
    draft = draft_policy()
    client.force_login(StaffFactory(role="supervisor"))

    page = client.get(reverse("admin:credit_decisionpolicy_change", args=[draft.pk]))
    assert "No shadow run has tried this version" in text(page)

    add = client.get(reverse("admin:credit_shadowrun_add") + f"?policy={draft.pk}")
    assert add.context["adminform"].form.initial == {"policy": str(draft.pk), "scorecard": card.pk}
    response = client.post(
        reverse("admin:credit_shadowrun_add"),
        {"name": "Stricter thresholds", "scorecard": card.pk, "policy": draft.pk, "note": ""},
    )
    assert response.status_code == 302
    run = ShadowRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:credit_shadowrun_start", args=[run.pk]))
    run.refresh_from_db()
    assert run.state == ShadowState.COMPLETED

    shown = plain(client.get(reverse("admin:credit_shadowrun_change", args=[run.pk])))
    assert "The outcomes of 3 lines of 5 would change." in shown
    assert "Paused Closed 2" in shown
    assert "Kept Limit reduced 1" in shown
    assert "bureau_score_low 2" in shown
    assert "Nothing is applied and no borrower is told" in shown
    assert lines[1].borrower.customer_id in shown

    page = client.get(reverse("admin:credit_decisionpolicy_change", args=[draft.pk]))
    assert "(up to date)" in text(page)
    event(lines[0], "bureau_score", NOW - timedelta(hours=1), score=400)
    page = client.get(reverse("admin:credit_decisionpolicy_change", args=[draft.pk]))
    assert "older than the data" in text(page)


def test_asking_for_activation_without_a_shadow_run_warns(client, clock):
    hand_rules()
    draft = draft_policy()
    client.force_login(StaffFactory(role="supervisor"))
    response = client.post(
        reverse("admin:credit_decisionpolicy_changelist"),
        {"action": "request_activation", "_selected_action": [draft.pk]},
        follow=True,
    )
    shown = text(response)
    assert "waits for a second supervisor" in shown
    assert "Warning: no shadow run has tried this version on the lines." in shown


def test_the_monitoring_page_draws_each_versions_days_and_lists_alerts(client, clock):
    card, policy = hand_rules()
    today = timezone.localdate()
    for i in range(5):
        MonitoringDay.objects.create(
            day=today - timedelta(days=5 - i),
            scorecard=card,
            policy=policy,
            evaluated=1000,
            adverse=50 + 10 * i,
            scores={"600": 900, "500": 100},
            knockouts={"serious_overdue": 3},
            reasons={"bureau_score_low": 40},
            appeals_opened=i,
            appeals_overturned=1,
            drift=0.02 * i,
        )
    MonitoringAlert.objects.create(
        day=today - timedelta(days=1),
        kind="adverse_share",
        subject=f"scorecard v{card.version} · policy v{policy.version}",
        value=0.09,
        low=0.0,
        high=0.08,
    )
    client.force_login(StaffFactory(role="supervisor"))
    page = client.get(reverse("admin:credit_monitoringday_changelist"))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("<figure>") == 6 and body.count("<polyline") == 2
    shown = plain(page)
    assert "Adverse share: 9.0%" in shown
    assert "Adverse share out of its band" in shown
    assert "bureau_score_low 40" in shown


def test_an_agent_cannot_start_a_shadow_run(client, clock):
    card, policy = hand_rules()
    run = services.shadow_save_draft(
        run=ShadowRun(name="x", scorecard=card, policy=policy),
        actor=StaffFactory(role="supervisor"),
    )
    client.force_login(StaffFactory(role="agent"))
    response = client.post(reverse("admin:credit_shadowrun_start", args=[run.pk]))
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.state == ShadowState.DRAFT
