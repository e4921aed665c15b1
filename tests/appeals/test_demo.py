import pytest

from appeals import demo as appeals_demo
from appeals.models import Appeal, AppealStatus
from credit import holds
from credit.models import CreditLineStatus

pytestmark = pytest.mark.django_db


def _seed_all():
    from accounts import demo as accounts_demo
    from credit import demo as credit_demo

    accounts_demo.seed()
    credit_demo.seed()
    return appeals_demo.seed()


def test_c1003_has_an_appeal_in_review_with_evidence_and_a_thread_idempotently():
    appeal = _seed_all()
    assert appeal.borrower.customer_id == "C-1003"
    assert appeal.line.status == CreditLineStatus.CLOSED
    assert appeal.status == AppealStatus.IN_REVIEW
    assert appeal.evidence.count() == 1
    assert set(appeal.messages.values_list("kind", flat=True)) == {"staff_public", "internal"}
    again = appeals_demo.seed()
    assert again.pk == appeal.pk
    # Issue 11 adds a demo queue of other borrowers' appeals; each demo borrower keeps exactly one.
    assert Appeal.objects.filter(borrower__customer_id="C-1003").count() == 1
    assert Appeal.objects.filter(borrower__customer_id="C-1006").count() == 1


def test_c1006s_appeal_holds_her_closing_line():
    _seed_all()
    appeal = Appeal.objects.get(borrower__customer_id="C-1006")
    assert appeal.status == AppealStatus.IN_REVIEW
    assert appeal.line.status == CreditLineStatus.CLOSING
    assert holds.holds_for([appeal.line_id])[appeal.line_id][0].name == "open_appeal"


def test_without_the_demo_people_it_skips():
    assert appeals_demo.seed() is None


def test_the_demo_queue_has_sixty_appeals_in_every_state_and_clock_condition():
    from django.utils import timezone

    from appeals.selectors import breached_q

    _seed_all()
    queue = Appeal.objects.filter(borrower__customer_id__startswith="Q-2")
    assert queue.count() >= 58
    states = set(queue.values_list("status", flat=True))
    assert states >= {
        AppealStatus.SUBMITTED,
        AppealStatus.IN_REVIEW,
        AppealStatus.AWAITING_BORROWER,
        AppealStatus.APPROVED,
        AppealStatus.PARTIALLY_APPROVED,
        AppealStatus.DENIED,
        AppealStatus.SECOND_REVIEW,
        AppealStatus.DENIED_FINAL,
        AppealStatus.WITHDRAWN,
    }
    assert queue.filter(breached_q(timezone.now())).count() >= 5
    assert queue.filter(borrower_replied_at__isnull=False).count() >= 5
    assert queue.filter(ready_for_decision_at__isnull=False).count() >= 3
    assert queue.filter(extensions__isnull=False).distinct().count() >= 3
    assert len(set(queue.exclude(assignee=None).values_list("assignee", flat=True))) >= 3
    count = queue.count()
    appeals_demo.seed()
    assert queue.count() == count  # idempotent


def test_the_demo_shows_overturns_per_bin_and_a_proposal_tried_in_shadow():
    from appeals import comparison, selectors
    from credit.models import Scorecard, ShadowRun, ShadowState, VersionStatus
    from credit.services import lessons_proposal

    _seed_all()
    lessons = Appeal.objects.filter(borrower__customer_id__startswith="L-3")
    assert set(lessons.values_list("status", flat=True)) == {
        AppealStatus.APPROVED,
        AppealStatus.PARTIALLY_APPROVED,
        AppealStatus.DENIED,
        AppealStatus.AUTO_APPROVED,
    }
    # The lessons borrowers' cases (the report's month of history is appealed too, on other bins).
    ids = set(lessons.values_list("id", flat=True))
    proposal = lessons_proposal([c.case for c in selectors.appealed_cases() if c.appeal_id in ids])
    moved = {(m.name, m.label) for m in proposal.moves if m.kind == "bin"}
    assert ("open_external_loans", "3 or more") in moved
    run = ShadowRun.objects.get(note__startswith="Proposed from appealed decisions")
    assert run.state == ShadowState.COMPLETED and run.lines_done == run.lines_total > 0
    assert run.scorecard.status == VersionStatus.DRAFT  # tried, never activated
    assert Scorecard.objects.filter(status=VersionStatus.ACTIVE).count() == 1
    # The borrower who closed her loans first sees her score go back up, every reason cleared.
    cleared = lessons.get(status=AppealStatus.AUTO_APPROVED)
    ba = comparison.before_after(cleared)
    assert ba.score_change > 0
    assert {r.state for r in ba.reasons} == {comparison.CLEARED}
    assert appeals_demo.seed() is not None  # idempotent
    assert ShadowRun.objects.filter(note__startswith="Proposed from appealed").count() == 1
