"""Two staff act on the same appeal at once, each through their own connection: exactly one
wins; the other is told someone else already changed it (on the page, with what they typed),
and nothing of theirs is applied."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from appeals.models import AppealStatus, AppealTransition
from appeals.services import state_token
from credit.models import CreditDecision
from tests.appeals import factories as f

S = AppealStatus


def _post_at_once(appeal, users_and_data):
    """POST each (user, action, data) from its own thread (own DB connection), released
    together by a barrier; returns [(status_code, messages)] in input order."""
    barrier = threading.Barrier(len(users_and_data))
    results = [None] * len(users_and_data)

    def run(index, user, action, data):
        client = Client()
        client.force_login(user)
        client.cookies["recourse_language"] = "en"
        url = reverse("admin:appeals_appeal_act", args=[appeal.pk, action])
        try:
            barrier.wait(timeout=10)
            response = client.post(url, data)
            said = [str(m) for m in response.wsgi_request._messages]
            if response.status_code != 302:
                # Issue 11: a refusal is shown on the case page itself (the text kept).
                said.append(response.content.decode())
            results[index] = (response.status_code, said)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, *item)) for i, item in enumerate(users_and_data)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_decide_at_once_and_exactly_one_wins():
    appeal = f.in_review_appeal()
    seen = state_token(appeal)
    approver, denier = f.reviewer(), f.reviewer()
    before = AppealTransition.objects.filter(appeal=appeal).count()
    results = _post_at_once(
        appeal,
        [
            (approver, "decide", {"decide-seen": seen, "decide-outcome": "approve",
                                  "decide-comment": "还款记录良好"}),
            (denier, "decide", {"decide-seen": seen, "decide-outcome": "deny",
                                "decide-comment": "理由仍然成立"}),
        ],
    )  # fmt: skip
    appeal.refresh_from_db()
    assert appeal.status in (S.APPROVED, S.DENIED)
    assert AppealTransition.objects.filter(appeal=appeal).count() == before + 1
    winners = [r for r in results if any("decision is recorded" in m for m in r[1])]
    losers = [r for r in results if any("Someone else already changed" in m for m in r[1])]
    assert len(winners) == 1 and len(losers) == 1, results
    with translation.override("en"):
        assert appeal.get_status_display() in losers[0][1][0]
    # The loser's decision left no trace on the credit line either.
    appeal_decisions = CreditDecision.objects.filter(line=appeal.line, trigger="appeal")
    assert appeal_decisions.count() == (1 if appeal.status == S.APPROVED else 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_agent_asking_for_information_while_a_reviewer_decides():
    worker = f.agent()
    appeal = f.in_review_appeal(worker=worker)
    seen = state_token(appeal)
    results = _post_at_once(
        appeal,
        [
            (worker, "request_info", {"request_info-seen": seen,
                                      "request_info-comment": "请上传结清证明"}),
            (f.reviewer(), "decide", {"decide-seen": seen, "decide-outcome": "approve",
                                      "decide-comment": "恢复"}),
        ],
    )  # fmt: skip
    appeal.refresh_from_db()
    assert appeal.status in (S.AWAITING_BORROWER, S.APPROVED)
    stale = [r for r in results if any("Someone else already changed" in m for m in r[1])]
    assert len(stale) == 1, results
