"""Privacy in the admin: contact details masked for staff, searches still work on the full
value, a supervisor or auditor reveals one person with a reason (audited), role changes are
audited, and no log line carries an email, a phone or an ID number."""

import copy
import io
import json
import logging
import logging.config

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
from accounts.privacy import mask_email, mask_phone
from accounts.roles import AGENT, AUDITOR, REVIEWER, SUPERVISOR
from audit.models import AuditEntry
from tests.appeals import factories as f
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

EMAIL, PHONE = "li.wei@example.com", "+8613812341234"


def _text(response) -> str:
    return response.content.decode()


@pytest.fixture
def client(client):
    client.cookies["recourse_language"] = "en"  # the pages' words are matched in English
    return client


@pytest.fixture
def appeal():
    appeal = f.in_review_appeal()
    User.objects.filter(pk=appeal.borrower_id).update(email=EMAIL, phone=PHONE)
    appeal.borrower.refresh_from_db()
    return appeal


def test_masks_keep_enough_to_recognise_a_person():
    assert mask_phone(PHONE) == "138****1234"
    assert mask_phone("+447700900123") == "+44 770****0123"
    assert mask_email(EMAIL) == "l***@example.com"
    assert mask_phone(None) == mask_email("") == ""


@pytest.mark.parametrize("role", [AGENT, REVIEWER, SUPERVISOR, AUDITOR])
def test_staff_see_contact_details_masked_on_the_case_page(client, appeal, role):
    client.force_login(f.staff(role))
    page = _text(client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk])))
    assert "138****1234" in page and "l***@example.com" in page
    assert EMAIL not in page and "13812341234" not in page
    reveal = reverse("admin:accounts_user_reveal", args=[appeal.borrower_id])
    assert (reveal in page) == (role in (SUPERVISOR, AUDITOR))


@pytest.mark.parametrize("term", [EMAIL, "13812341234"])
def test_people_are_found_by_the_full_value_and_shown_masked(client, appeal, term):
    client.force_login(f.agent())
    page = _text(client.get(reverse("admin:accounts_user_changelist"), {"q": term}))
    assert appeal.borrower.full_name in page
    assert "l***@example.com" in page
    assert EMAIL not in page.replace(f'value="{term}"', "")  # what was typed stays in the box
    queue = reverse("admin:appeals_appeal_changelist")
    page = _text(client.get(queue, {"q": term, "queue": "all"}))
    assert appeal.reference in page


def test_a_persons_page_is_masked_for_staff_who_do_not_edit_people(client, appeal):
    client.force_login(f.auditor())
    page = _text(client.get(reverse("admin:accounts_user_change", args=[appeal.borrower_id])))
    assert "l***@example.com" in page and EMAIL not in page
    assert "Reveal contact details" in page


def test_a_supervisor_reveals_one_person_with_a_reason_and_it_is_audited(client, appeal):
    supervisor = f.supervisor()
    client.force_login(supervisor)
    url = reverse("admin:accounts_user_reveal", args=[appeal.borrower_id])

    refused = client.post(url, {"reason": "look"})
    assert EMAIL not in _text(refused) and "at least 10 characters" in _text(refused)
    assert not AuditEntry.objects.filter(kind="accounts.personal_data").exists()

    shown = client.post(url, {"reason": "Borrower called about appeal; verifying identity"})
    assert EMAIL in _text(shown) and PHONE in _text(shown)
    assert "no-store" in shown["Cache-Control"]
    entry = AuditEntry.objects.get(kind="accounts.personal_data")
    assert (entry.actor, entry.object_id) == (supervisor, str(appeal.borrower_id))
    assert entry.summary == "Borrower called about appeal; verifying identity"


@pytest.mark.parametrize("role", [AGENT, REVIEWER])
def test_agents_and_reviewers_cannot_reveal(client, appeal, role):
    client.force_login(f.staff(role))
    url = reverse("admin:accounts_user_reveal", args=[appeal.borrower_id])
    response = client.post(url, {"reason": "Borrower called about appeal, verifying"})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(kind="accounts.personal_data").exists()


def test_a_role_change_in_the_admin_is_audited_once(client):
    admin_user = StaffFactory(is_superuser=True, email="root@recourse.test")
    person = f.agent()
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    form = {
        "email": person.email,
        "full_name": person.full_name,
        "preferred_language": person.preferred_language,
        "time_zone": person.time_zone,
        "is_active": "on",
        "is_staff": "on",
        "groups": [Group.objects.get(name=REVIEWER).pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]

    entry = AuditEntry.objects.get(kind="accounts.staff_access")
    assert entry.actor == admin_user and entry.object_id == str(person.pk)
    assert entry.details["roles"] == {"before": [AGENT], "after": [REVIEWER]}

    client.post(url, form)  # saved again unchanged: nothing to record
    assert AuditEntry.objects.filter(kind="accounts.staff_access").count() == 1


@pytest.fixture
def json_log():
    """The project's logging with JSON lines, written to a buffer."""
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    logging.config.dictConfig(config)
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    logging.config.dictConfig(settings.LOGGING)


def test_log_lines_carry_no_email_phone_or_id_number(json_log):
    logger = logging.getLogger("appeals.test")
    logger.warning(
        "Could not reach %s at %s (ID %s)",
        EMAIL,
        PHONE,
        "110101199003071234",
        extra={"recipient": EMAIL, "numbers": [PHONE]},
    )
    try:
        raise ValueError(f"bad address {EMAIL}")
    except ValueError:
        logger.exception("delivery failed for 13812341234")

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert len(lines) == 2
    text = json_log.getvalue()
    for secret in (EMAIL, "13812341234", "110101199003071234"):
        assert secret not in text
    assert lines[0]["message"] == (
        "Could not reach l***@example.com at 138****1234 (ID 110101********1234)"
    )
    assert lines[0]["recipient"] == "l***@example.com"
    assert lines[0]["numbers"] == ["138****1234"]
    assert "l***@example.com" in lines[1]["exc_info"]


def test_a_change_to_what_a_role_may_do_is_audited_once(client):
    from django.contrib.auth.models import Permission

    admin_user = StaffFactory(is_superuser=True, email="root2@recourse.test")
    client.force_login(admin_user)
    role = Group.objects.get(name=REVIEWER)
    extra = Permission.objects.get(codename="export_appeal")
    url = reverse("admin:auth_group_change", args=[role.pk])
    form = {
        "name": role.name,
        "permissions": [*role.permissions.values_list("pk", flat=True), extra.pk],
    }

    assert client.post(url, form).status_code == 302
    client.post(url, form)  # saved again unchanged: nothing to record

    entry = AuditEntry.objects.get(kind="accounts.staff_access", object_type="auth.group")
    assert entry.actor == admin_user
    assert entry.details == {"added": ["appeals.export_appeal"], "removed": []}
