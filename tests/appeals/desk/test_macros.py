"""Issue 11: macros set text with placeholders (filled for the appeal, in the borrower's
language) and the action they go with, offered in that action's panel."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appeals import macros, services
from appeals.models import CannedResponse
from tests.appeals import factories as f
from tests.appeals.desk.test_case import case_url, page_text, signed_in

pytestmark = pytest.mark.django_db


def test_placeholders_are_checked_when_a_macro_is_saved():
    assert macros.unknown_placeholders("{borrower_name} {reference}") == []
    assert macros.unknown_placeholders("{name}") == ["name"]
    assert macros.unknown_placeholders("a { b") is None
    with pytest.raises(ValidationError) as caught:
        services.canned_response_upsert(title="Bad", body_zh="{name}您好", body_en="Hi")
    assert "{name}" in str(caught.value) and "{borrower_name}" in str(caught.value)
    with pytest.raises(ValidationError):
        services.canned_response_upsert(title="Bad", body_zh="好", body_en="ok", action="fly")
    assert not CannedResponse.objects.exists()


def test_a_bad_placeholder_in_the_admin_is_a_form_error_not_a_crash(client):
    client = signed_in(client, f.supervisor())
    response = client.post(
        reverse("admin:appeals_cannedresponse_add"),
        {
            "title": "Deny",
            "action": "deny",
            "body_zh": "{nme}您好",
            "body_en": "Hi",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "Unknown placeholder {nme}" in page_text(response)
    assert not CannedResponse.objects.exists()


def test_a_macro_fills_its_action_panel_with_the_appeal_in_the_borrowers_language(client):
    reviewer = f.reviewer()
    deny = services.canned_response_upsert(
        title="Deny: still many loans",
        action="deny",
        body_zh="{borrower_name}，您好：申诉 {reference} 经核实，原因仍然成立：{reasons}。",
        body_en="Dear {borrower_name}, appeal {reference}: the reasons still hold: {reasons}.",
    )
    reply = services.canned_response_upsert(
        title="Received", body_zh="已收到 {reference}", body_en="Received {reference}"
    )
    appeal = f.in_review_appeal(worker=reviewer)
    client = signed_in(client, reviewer)
    page = page_text(client.get(case_url(appeal)))
    decide_panel = page[page.index("desk-action-decide") : page.index("desk-action-extend")]
    assert "Deny: still many loans" in decide_panel and "Received" not in decide_panel
    message_panel = page[page.index("desk-action-message") : page.index("desk-action-request")]
    assert "Received" in message_panel and "Deny: still" not in message_panel
    assert f'data-body-en="Received {appeal.reference}"' in message_panel

    # Without JavaScript: "Insert" reloads the page with the panel filled and the outcome set.
    page = page_text(client.get(case_url(appeal), {"canned": deny.pk}))
    first_reason = appeal.decision.reasons.order_by("rank").first().reason_code.title_zh
    expected = f"{appeal.borrower.full_name}，您好：申诉 {appeal.reference} 经核实，原因仍然成立："
    assert expected in page and first_reason in page.split(expected)[1][:200]
    radio = re.search(r'<input[^>]*name="decide-outcome"[^>]*value="deny"[^>]*>', page)
    assert radio and "checked" in radio.group(0)
    assert reply.pk != deny.pk
