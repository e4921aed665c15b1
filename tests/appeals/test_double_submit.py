"""A form sent twice is answered once: the second POST with the same token gets the first
one's result and changes nothing; never a server error."""

import pytest
from django.urls import reverse

from appeals.models import Appeal, AppealStatus, Message
from tests.appeals import factories as f
from tests.credit.story import closing_line

pytestmark = pytest.mark.django_db


def test_the_one_screen_form_sent_twice_makes_one_submitted_appeal(client):
    line = closing_line()
    decision = line.decisions.get()
    client.force_login(line.borrower)
    form = {
        "decision": decision.pk,
        "grounds": ["closed_other_loans"],
        "statement": "其他平台的借款已结清。",
        "action": "submit",
        "form_token": "tap-1",
    }
    first = client.post(reverse("appeals:start"), form)
    second = client.post(reverse("appeals:start"), form)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    appeal = Appeal.objects.get()
    assert appeal.status == AppealStatus.SUBMITTED
    assert first["Location"] == reverse("appeals:detail", args=[appeal.pk])


def test_a_reply_sent_twice_is_posted_once(client):
    appeal = f.in_review_appeal()
    client.force_login(appeal.borrower)
    url = reverse("appeals:reply", args=[appeal.pk])
    form = {"body": "结清证明已上传。", "form_token": "tap-2"}
    first = client.post(url, form)
    second = client.post(url, form)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Message.objects.filter(appeal=appeal, body="结清证明已上传。").count() == 1
    third = client.post(url, {**form, "form_token": "tap-3"})  # a new form: a new reply
    assert third.status_code == 302
    assert Message.objects.filter(appeal=appeal, body="结清证明已上传。").count() == 2


def test_a_form_with_errors_can_be_corrected_and_sent_with_its_token(client):
    appeal = f.in_review_appeal()
    client.force_login(appeal.borrower)
    url = reverse("appeals:reply", args=[appeal.pk])
    refused = client.post(url, {"body": "", "form_token": "tap-4"})
    assert refused.status_code == 400
    accepted = client.post(url, {"body": "补充说明。", "form_token": "tap-4"})
    assert accepted.status_code == 302
    assert Message.objects.filter(appeal=appeal, body="补充说明。").count() == 1


def test_each_rendering_of_the_form_carries_a_fresh_token(client):
    import re

    line = closing_line()
    client.force_login(line.borrower)
    url = reverse("appeals:start") + f"?decision={line.decisions.get().pk}"
    tokens = [
        re.findall(r'name="form_token" value="(\w+)"', client.get(url).content.decode())
        for _ in range(2)
    ]
    assert len(tokens[0]) == len(tokens[1]) == 1
    assert tokens[0] != tokens[1]
