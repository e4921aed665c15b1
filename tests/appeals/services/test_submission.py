"""The automatic review after submission reads and locks the appeal row once (issue 9,
fix 5): a second read under the lock only costs a query and can never see anything new."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appeals import services
from appeals.models import AppealStatus
from tests.appeals import factories as f
from tests.credit.factories import at, close_external_loans

pytestmark = pytest.mark.django_db


def _reads_of_the_appeal_row(queries, appeal_id: int) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and 'FROM "appeals_appeal"' in q["sql"]
        and f'"appeals_appeal"."id" = {appeal_id}' in q["sql"]
    ]


@pytest.mark.parametrize("reasons_cleared", [True, False])
def test_the_automatic_review_locks_the_appeal_once(reasons_cleared):
    appeal = f.submitted_appeal()
    if reasons_cleared:
        close_external_loans(appeal.line, when=at(timezone.localdate() - timedelta(days=1)))
    with CaptureQueriesContext(connection) as captured:
        reviewed = services.appeal_auto_review(appeal_id=appeal.pk)
    expected = AppealStatus.AUTO_APPROVED if reasons_cleared else AppealStatus.SUBMITTED
    assert reviewed.status == expected
    reads = _reads_of_the_appeal_row(captured.captured_queries, appeal.pk)
    assert len(reads) == 1, reads
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in reads[0]


def test_a_refused_submission_reads_right_in_chinese():
    """Finding 11 of issue 15: the act "submitted" shared its Chinese with the column
    "submitted" (提交时间), so the refusal read "无法提交时间"."""
    from django.core.exceptions import ValidationError
    from django.utils import translation

    appeal = f.submitted_appeal()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.appeal_submit(appeal=appeal, actor=appeal.borrower)
    message = " ".join(refused.value.messages)
    assert "无法提交。" in message
    assert "提交时间" not in message
