"""Appeals' part of credit's monitoring (credit.figures): an appeal submitted counts as opened,
an approved one as overturned, each under the decision it was about; a denial is not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from appeals import services
from appeals.monitoring import appeal_figures
from credit import figures
from tests.appeals.factories import in_review_appeal, reviewer, submitted_appeal

pytestmark = pytest.mark.django_db


def test_submitted_and_approved_appeals_are_counted_for_their_decision():
    opened = submitted_appeal()
    approved = in_review_appeal()
    services.appeal_approve(appeal=approved, actor=reviewer(), explanation="已核实按时还款。")
    now = timezone.now()

    pairs = figures.figures_between(now - timedelta(hours=1), now + timedelta(hours=1))

    assert sorted(pairs) == sorted(
        [
            (opened.decision_id, figures.OPENED),
            (approved.decision_id, figures.OPENED),
            (approved.decision_id, figures.OVERTURNED),
        ]
    )
    assert appeal_figures(now + timedelta(hours=1), now + timedelta(hours=2)) == []
