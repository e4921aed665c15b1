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
    assert Appeal.objects.count() == 2  # C-1003's and C-1006's, nothing more


def test_c1006s_appeal_holds_her_closing_line():
    _seed_all()
    appeal = Appeal.objects.get(borrower__customer_id="C-1006")
    assert appeal.status == AppealStatus.IN_REVIEW
    assert appeal.line.status == CreditLineStatus.CLOSING
    assert holds.holds_for([appeal.line_id])[appeal.line_id][0].name == "open_appeal"


def test_without_the_demo_people_it_skips():
    assert appeals_demo.seed() is None
