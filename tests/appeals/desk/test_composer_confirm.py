"""Issue 11: "Reply to borrower" and "Internal note" are two actions, and the optional rule
(DESK_CONFIRM_INTERNAL_LOOKING_REPLIES, off by default) asks to confirm a reply that looks
like an internal remark, without JavaScript: the text is shown again with two buttons."""

import re

import pytest

from appeals.desk.remarks import internal_signs
from appeals.models import Message, MessageKind
from tests.appeals import factories as f
from tests.appeals.desk.test_case import act, case_url, page_text, signed_in

pytestmark = pytest.mark.django_db
REMARK = "TODO: check with @wang before we answer. 内部：先核对流水"


@pytest.fixture
def case(client):
    worker = f.agent(full_name="Agent Lin")
    appeal = f.in_review_appeal(worker=worker)
    return signed_in(client, worker), appeal, worker


def _composer(page: str) -> str:
    return page.split("data-desk-composer")[1].split("</form>")[0]


def test_by_default_a_remark_like_reply_is_sent_as_typed(case):
    client, appeal, _worker = case
    response = act(client, appeal, "message", kind="public", comment=REMARK)
    assert response.status_code == 302 and response.url.endswith("?compose=public")
    assert Message.objects.get(appeal=appeal, body=REMARK).kind == MessageKind.STAFF_PUBLIC


def test_with_the_rule_on_a_remark_like_reply_is_shown_again_to_confirm(case, settings):
    settings.DESK_CONFIRM_INTERNAL_LOOKING_REPLIES = True
    client, appeal, _worker = case
    response = act(client, appeal, "message", kind="public", comment=REMARK)
    assert response.status_code == 200
    assert not Message.objects.filter(appeal=appeal, body=REMARK).exists()
    composer = _composer(page_text(response))
    assert "looks like an internal remark" in composer
    for sign in ("TODO", "@wang", "内部"):
        assert f"“{sign}”" in composer
    assert "TODO: check with @wang" in composer  # the text is kept in the box
    assert 'name="message-confirmed" value="1"' in composer
    assert "Send to the borrower anyway" in composer and "Save as internal note instead" in composer

    # Sent anyway: it goes to the borrower, once.
    response = act(client, appeal, "message", kind="public", comment=REMARK, confirmed="1")
    assert response.status_code == 302
    assert Message.objects.get(appeal=appeal, body=REMARK).kind == MessageKind.STAFF_PUBLIC


def test_with_the_rule_on_the_confirm_step_can_turn_it_into_a_note(case, settings):
    settings.DESK_CONFIRM_INTERNAL_LOOKING_REPLIES = True
    client, appeal, _worker = case
    act(client, appeal, "message", kind="public", comment=REMARK)
    response = act(client, appeal, "message", kind="internal", comment=REMARK, confirmed="1")
    assert response.status_code == 302 and response.url.endswith("?compose=internal")
    assert Message.objects.get(appeal=appeal, body=REMARK).kind == MessageKind.INTERNAL


def test_with_the_rule_on_a_plain_reply_and_any_note_go_at_once(case, settings):
    settings.DESK_CONFIRM_INTERNAL_LOOKING_REPLIES = True
    client, appeal, _worker = case
    plain = (
        "您好，我们已收到您的结清证明，将在两个工作日内给您答复。Write to help@recourse.example."
    )
    assert act(client, appeal, "message", kind="public", comment=plain).status_code == 302
    assert act(client, appeal, "message", kind="internal", comment=REMARK).status_code == 302
    assert Message.objects.filter(appeal=appeal).count() == 2


def test_the_signs_are_few_and_plain(case):
    _client, _appeal, worker = case
    other = f.reviewer(full_name="Reviewer Wang")
    assert internal_signs("Thanks, we have your documents.", author=worker) == []
    assert internal_signs("Write to help@recourse.example", author=worker) == []
    assert internal_signs("Regards, Agent Lin", author=worker) == []  # signing is fine
    assert internal_signs("Ask Reviewer Wang first", author=worker) == [other.full_name]
    assert internal_signs("note to self: call back", author=worker) == ["note to self"]
    assert internal_signs("待办：核对", author=worker) == ["待办"]


def test_a_message_without_a_button_says_what_to_press(case):
    client, appeal, _worker = case
    response = act(client, appeal, "message", comment="hello")
    assert response.status_code == 400
    assert "Send reply to borrower" in re.sub(r"&[^;]+;", "", _composer(page_text(response)))
    assert not Message.objects.filter(appeal=appeal).exists()
    assert client.get(case_url(appeal)).status_code == 200
