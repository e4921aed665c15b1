"""What appeals teach the scorecard: the risk team's admin page counts overturns per reason and
per bin from real appealed decisions, and saves a proposed draft that is tried in shadow on every
line. Nothing is activated."""

import pytest
from django.urls import reverse

from appeals import selectors, services
from credit.models import DecisionPolicy, Scorecard, ShadowRun, ShadowState, VersionStatus
from tests.appeals import factories as f
from tests.credit.story import active_line
from tests.support import plain

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies["recourse_language"] = "en"
    return client


def _decided_appeals(*, approved: int, denied: int):
    decider = f.reviewer()
    made = []
    for _ in range(approved):
        appeal = f.in_review_appeal()
        made.append(services.appeal_approve(appeal=appeal, actor=decider, explanation="核实无误。"))
    for _ in range(denied):
        made.append(f.denied_appeal(decider=decider))
    return made


def _active_versions():
    return (
        Scorecard.objects.get(status=VersionStatus.ACTIVE).pk,
        DecisionPolicy.objects.get(status=VersionStatus.ACTIVE).pk,
    )


def test_the_cases_are_the_scorecard_decisions_a_person_decided_with_their_stored_features():
    approved, denied = _decided_appeals(approved=1, denied=1)
    f.in_review_appeal()  # not decided yet: not a case

    cases = {c.appeal_id: c for c in selectors.appealed_cases()}
    assert set(cases) == {approved.pk, denied.pk}
    assert cases[approved.pk].case.overturned and not cases[denied.pk].case.overturned
    assert cases[approved.pk].case.features == approved.decision.features
    assert cases[approved.pk].case.reason_codes == tuple(
        r.reason_code.code for r in approved.decision.reasons_ranked
    )


def test_the_page_counts_overturns_per_reason_and_bin_and_lists_the_overturned_features(client):
    approved = _decided_appeals(approved=3, denied=1)[:3]
    client.force_login(f.supervisor())
    response = client.get(reverse("admin:appeals_appeal_lessons"))
    assert response.status_code == 200
    body = plain(response)

    assert "3 overturned (approved in full or in part), 1 upheld (denied)" in body
    first_reason = approved[0].decision.reasons_ranked[0]
    by_reason = {code: tally for code, _, tally in response.context["by_reason"]}
    assert (
        by_reason[first_reason.reason_code.code].overturned,
        by_reason[first_reason.reason_code.code].upheld,
    ) == (3, 1)
    bins = {(t.feature, t.bin_label): t.tally for t, _ in response.context["bins"]}
    assert (
        bins[("open_external_loans", "3 or more")].overturned,
        bins[("open_external_loans", "3 or more")].upheld,
    ) == (3, 1)
    assert first_reason.reason_code.title_en in body
    for appeal in approved:
        assert appeal.reference in body
    assert "Loans open at other platforms now" in body and "3 or more" in body
    assert "Save as a draft and run it in shadow" in body


def test_saving_the_proposal_makes_drafts_runs_them_in_shadow_and_activates_nothing(
    client, django_capture_on_commit_callbacks
):
    _decided_appeals(approved=3, denied=1)
    active_line()  # a line in good standing: the shadow run tries every line
    active_before = _active_versions()
    client.force_login(f.supervisor())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:appeals_appeal_lessons"))
    run = ShadowRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:credit_shadowrun_change", args=[run.pk])

    draft = Scorecard.objects.get(status=VersionStatus.DRAFT)
    assert run.scorecard == draft
    loans = next(a for a in draft.attributes if a["feature"] == "open_external_loans")
    assert next(b for b in loans["bins"] if b["label"] == "3 or more")["points"] == 65
    # Nothing is activated automatically: the active versions are the ones before, and the
    # draft has not even been put forward for activation.
    assert _active_versions() == active_before
    assert draft.activation_requested_at is None
    run.refresh_from_db()
    assert run.state == ShadowState.COMPLETED
    assert run.lines_done == run.lines_total == 5

    body = plain(client.get(reverse("admin:appeals_appeal_lessons")))
    assert run.name in body
    shown = plain(client.get(reverse("admin:credit_shadowrun_change", args=[run.pk])))
    assert "would change" in shown


def test_with_no_overturns_to_learn_from_nothing_is_saved(client):
    _decided_appeals(approved=0, denied=2)
    client.force_login(f.supervisor())
    response = client.post(reverse("admin:appeals_appeal_lessons"), follow=True)
    assert "point at no bin or threshold to move" in plain(response)
    assert not ShadowRun.objects.exists()
    assert not Scorecard.objects.filter(status=VersionStatus.DRAFT).exists()


@pytest.mark.parametrize(
    ("role", "reads", "proposes"),
    [
        ("agent", False, False),
        ("reviewer", False, False),
        ("auditor", True, False),
        ("supervisor", True, True),
    ],
)
def test_the_risk_team_proposes_and_the_auditor_only_reads(client, role, reads, proposes):
    _decided_appeals(approved=3, denied=0)
    client.force_login(getattr(f, role)())
    url = reverse("admin:appeals_appeal_lessons")
    assert client.get(url).status_code == (200 if reads else 403)
    changelist = plain(client.get(reverse("admin:appeals_appeal_changelist")))
    assert ("What appeals teach the scorecard" in changelist) == reads
    response = client.post(url)
    assert (response.status_code == 302) == proposes
    assert ShadowRun.objects.exists() == proposes
