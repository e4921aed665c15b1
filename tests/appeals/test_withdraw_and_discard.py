"""Withdrawing an appeal and discarding a draft ask first and say what happens next (a plain
page, no script); a discarded draft leaves the borrower's list and never reads "withdrawn"."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from appeals.models import Appeal, AppealStatus
from tests.appeals import factories as f
from tests.support import plain

pytestmark = pytest.mark.django_db
S = AppealStatus


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _get(client, user, url, language="zh-hans"):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    return client.get(url)


@pytest.mark.parametrize(
    ("language", "question", "next_step"),
    [
        ("en", "Withdraw your appeal?", "your credit line closes on"),
        ("zh-hans", "确定撤回申诉吗？", "您的信用额度将于"),
    ],
)
def test_withdrawing_asks_first_and_says_what_happens_next(client, language, question, next_step):
    appeal = f.in_review_appeal()
    detail = plain(
        _get(client, appeal.borrower, reverse("appeals:detail", args=[appeal.pk]), language)
    )
    confirm_url = reverse("appeals:withdraw", args=[appeal.pk])
    assert (
        confirm_url
        in _get(
            client, appeal.borrower, reverse("appeals:detail", args=[appeal.pk]), language
        ).content.decode()
    )
    page = _get(client, appeal.borrower, confirm_url, language)
    assert page.status_code == 200
    body = plain(page)
    assert question in body and next_step in body
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW  # asking changed nothing
    assert detail  # the appeal page itself still loads

    response = client.post(confirm_url)
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == S.WITHDRAWN


@pytest.mark.parametrize(
    ("language", "question", "withdrawn"),
    [("en", "Discard this draft?", "Withdrawn"), ("zh-hans", "确定放弃这份草稿吗？", "已撤回")],
)
def test_a_discarded_draft_leaves_the_list_and_never_says_withdrawn(
    client, language, question, withdrawn
):
    draft = f.draft_appeal()
    user = draft.borrower
    # the withdraw address of a draft leads to the discard question
    assert _get(client, user, reverse("appeals:withdraw", args=[draft.pk]), language)[
        "Location"
    ] == reverse("appeals:discard", args=[draft.pk])
    page = _get(client, user, reverse("appeals:discard", args=[draft.pk]), language)
    assert question in plain(page)
    assert Appeal.objects.get(pk=draft.pk).status == S.DRAFT

    response = client.post(reverse("appeals:discard", args=[draft.pk]))
    assert response["Location"] == reverse("appeals:list")
    assert Appeal.objects.get(pk=draft.pk).status == S.DISCARDED
    listing = plain(client.get(reverse("appeals:list")))
    assert draft.reference not in listing and withdrawn not in listing
    assert client.get(reverse("appeals:detail", args=[draft.pk])).status_code == 404
    # the line can be appealed again
    assert client.get(reverse("credit:my-credit")).status_code == 200


def test_discard_is_refused_for_an_appeal_already_sent(client):
    appeal = f.submitted_appeal()
    _get(client, appeal.borrower, reverse("appeals:detail", args=[appeal.pk]))
    response = client.post(reverse("appeals:discard", args=[appeal.pk]))
    assert response.status_code == 302
    assert Appeal.objects.get(pk=appeal.pk).status == S.SUBMITTED


def test_another_borrowers_draft_cannot_be_discarded(client):
    draft = f.draft_appeal()
    other = f.draft_appeal()
    _get(client, other.borrower, reverse("appeals:list"))
    assert client.get(reverse("appeals:discard", args=[draft.pk])).status_code == 404
    assert client.post(reverse("appeals:discard", args=[draft.pk])).status_code == 404
    assert Appeal.objects.get(pk=draft.pk).status == S.DRAFT


def test_withdrawing_a_draft_through_the_api_discards_it(client):
    draft = f.draft_appeal()
    client.force_login(draft.borrower)
    response = client.post(
        reverse("api-appeal-withdraw", args=[draft.pk]), {}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "discarded"
    listed = client.get(reverse("api-appeals")).json()
    assert draft.pk not in [a["id"] for a in listed["results"]]
    assert client.get(reverse("api-appeal", args=[draft.pk])).status_code == 404
