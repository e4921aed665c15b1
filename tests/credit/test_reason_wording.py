"""What was said stays as it was said: a reason's texts are versioned; a decision shows the
wording it was made with; editing a reason (admin or service) makes a new version for
decisions from then on, and the edit is audited."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from credit import services
from credit.models import ReasonCode, ReasonWording
from tests.appeals import factories as f
from tests.credit.story import closing_line
from tests.support import plain, text

pytestmark = pytest.mark.django_db

NEW_TITLE = "Loans at several other lenders (reworded)"
NEW_ADVICE = "Repay and close the other loans, then ask us to look again (reworded)."


def page(client, user, language="en"):
    client.force_login(user)
    client.cookies["recourse_language"] = language
    response = client.get(reverse("credit:my-credit"))
    return text(response) + "\n" + plain(response)


def _first_reason(line):
    return line.decisions.get().reasons_ranked[0]


def _edit_in_the_admin(client, code: ReasonCode, **changes):
    client.force_login(f.supervisor())
    form = {
        name: getattr(code, name)
        for name in (
            "category",
            "default_buffer_days",
            "title_en",
            "explanation_en",
            "advice_en",
            "title_zh",
            "explanation_zh",
            "advice_zh",
        )
    }
    form["appealable"] = "on" if code.appealable else ""
    form.update(changes)
    response = client.post(reverse("admin:credit_reasoncode_change", args=[code.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_an_edit_leaves_an_old_decisions_page_unchanged(client):
    old_line = closing_line()
    code = _first_reason(old_line).reason_code
    old_title, old_advice = code.title_en, code.advice_en
    before = page(client, old_line.borrower)
    assert old_title in before and old_advice in before

    _edit_in_the_admin(client, code, title_en=NEW_TITLE, advice_en=NEW_ADVICE)

    after = page(client, old_line.borrower)
    assert old_title in after and old_advice in after
    assert NEW_TITLE not in after and NEW_ADVICE not in after
    # a decision made after the edit is told in the new words
    new_line = closing_line()
    fresh = page(client, new_line.borrower)
    assert NEW_TITLE in fresh and NEW_ADVICE in fresh
    assert _first_reason(new_line).wording.version == 2
    assert _first_reason(old_line).wording.version == 1


def test_an_edit_makes_one_new_version_and_one_audit_entry():
    code = ReasonCode.objects.get(
        code=closing_line().decisions.get().reasons_ranked[0].reason_code.code
    )
    supervisor = f.supervisor()
    versions = code.wordings.count()

    code.title_zh = "在多家平台借款（新措辞）"
    services.reason_code_save(reason_code=code, actor=supervisor)
    services.reason_code_save(reason_code=code, actor=supervisor)  # saved again, same words
    code.default_buffer_days = 45
    services.reason_code_save(reason_code=code, actor=supervisor)  # no text changed

    assert code.wordings.count() == versions + 1
    latest = code.wordings.order_by("-version").first()
    assert latest == code.wording and latest.title_zh == "在多家平台借款（新措辞）"
    assert latest.created_by == supervisor
    entry = AuditEntry.objects.get(kind="credit.reason_wording")
    assert entry.actor == supervisor and entry.details["version"] == latest.version


def test_a_wording_is_never_changed_in_place():
    wording = ReasonWording.objects.first()
    wording.title_en = "rewritten"
    with pytest.raises(Exception, match="kept as it was"):
        wording.save()


def test_every_reason_code_starts_with_a_first_version_of_its_texts():
    for code in ReasonCode.objects.select_related("wording"):
        assert code.wording is not None and code.wording.version >= 1
        assert code.wording.title_en == code.title_en
