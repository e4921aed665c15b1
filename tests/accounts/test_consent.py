"""Informed consent: a borrower accepts the version in force of each policy document before
anything else; acceptances are recorded and audited; a new version asks again."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import consent
from accounts.models import PolicyAcceptance, PolicyVersion
from accounts.roles import SUPERVISOR
from accounts.services import (
    policies_accept,
    policy_version_announce,
    policy_version_publish,
    policy_version_save_draft,
)
from audit.models import AuditEntry
from notifications.models import Notification
from tests.appeals import factories as f
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

MY_CREDIT = "/credit/"


def _draft(document="privacy_policy", version="2026-11", effective_on=None, **texts):
    return policy_version_save_draft(
        version=PolicyVersion(
            document=document,
            version=version,
            title_zh=texts.get("title_zh", "隐私政策"),
            title_en=texts.get("title_en", "Privacy policy"),
            body_zh=texts.get("body_zh", "我们如何使用您的信息。"),
            body_en=texts.get("body_en", "How we use your information."),
            changes_zh=texts.get("changes_zh", ""),
            changes_en=texts.get("changes_en", ""),
            effective_on=effective_on or timezone.localdate(),
        )
    )


@pytest.fixture
def supervisor():
    return f.staff(SUPERVISOR)


@pytest.fixture
def published(supervisor):
    return policy_version_publish(version=_draft(), actor=supervisor)


def _client(user) -> Client:
    client = Client(HTTP_USER_AGENT="TestBrowser/1.0", REMOTE_ADDR="203.0.113.7")
    client.force_login(user)
    return client


def _consent_entries():
    return AuditEntry.objects.filter(kind="accounts.consent")


def test_without_published_documents_nobody_is_gated(borrower):
    _draft()  # a draft is not in force
    assert _client(borrower).get(MY_CREDIT).status_code == 200


def test_the_gate_blocks_every_page_until_accepted_and_records_who_which_when_where(
    borrower, published
):
    client = _client(borrower)
    answer = client.get(MY_CREDIT)
    assert answer.status_code == 302
    assert answer["Location"] == f"{reverse('consent')}?next=%2Fcredit%2F"
    assert client.get(reverse("appeals:list")).status_code == 302
    page = client.get(answer["Location"])
    assert page.status_code == 200
    assert "How we use your information." in page.content.decode() or "我们如何使用" in (
        page.content.decode()
    )

    # Not ticking the box is a clear error and records nothing.
    refused = client.post(reverse("consent"), {"versions": [published.pk], "next": MY_CREDIT})
    assert refused.status_code == 400
    assert PolicyAcceptance.objects.count() == 0 and not _consent_entries().exists()
    assert client.get(MY_CREDIT).status_code == 302

    accepted = client.post(
        reverse("consent"), {"versions": [published.pk], "agree": "on", "next": MY_CREDIT}
    )
    assert accepted.status_code == 302 and accepted["Location"] == MY_CREDIT
    row = PolicyAcceptance.objects.get()
    assert (row.user, row.policy_version, row.channel) == (borrower, published, "web")
    assert row.ip_address == "203.0.113.7" and row.user_agent == "TestBrowser/1.0"
    assert timezone.now() - row.accepted_at < timedelta(minutes=1)
    assert client.get(MY_CREDIT).status_code == 200

    entry = _consent_entries().get()
    assert entry.actor == borrower and entry.actor_label == f"user #{borrower.pk}"
    assert entry.details["version"] == "2026-11" and entry.details["channel"] == "web"
    assert "203.0.113.7" not in str(entry.details) + entry.summary  # no personal data


def test_accepting_twice_writes_one_acceptance_and_one_audit_entry(borrower, published):
    policies_accept(user=borrower, version_ids=[published.pk])
    again = policies_accept(user=borrower, version_ids=[published.pk])
    assert again == []
    assert PolicyAcceptance.objects.count() == 1 and _consent_entries().count() == 1
    # The page has nothing more to ask and goes on.
    answer = _client(borrower).post(
        reverse("consent"), {"versions": [published.pk], "agree": "on", "next": MY_CREDIT}
    )
    assert answer.status_code == 302 and _consent_entries().count() == 1


def test_a_new_version_gates_again_and_says_what_changed(borrower, published, supervisor):
    policies_accept(user=borrower, version_ids=[published.pk])
    client = _client(borrower)
    assert client.get(MY_CREDIT).status_code == 200  # remembered in the session
    newer = policy_version_publish(
        version=_draft(
            version="2027-01",
            body_en="New text.",
            changes_zh="新增数据下载。",
            changes_en="You can now download your data.",
        ),
        actor=supervisor,
    )
    assert client.get(MY_CREDIT).status_code == 302
    client.post(reverse("set-language"), {"language": "en", "next": "/consent/"})
    page = client.get(reverse("consent")).content.decode()
    assert "You can now download your data." in page and "New text." in page
    client.post(reverse("consent"), {"versions": [newer.pk], "agree": "on"})
    assert client.get(MY_CREDIT).status_code == 200
    assert set(borrower.acceptances.values_list("policy_version__version", flat=True)) == {
        "2026-11",
        "2027-01",
    }


def test_an_unpublished_draft_does_not_gate_even_when_newer(borrower, published):
    policies_accept(user=borrower, version_ids=[published.pk])
    _draft(version="2027-01")
    assert _client(borrower).get(MY_CREDIT).status_code == 200


def test_a_published_version_gates_only_from_its_effective_date(borrower, supervisor):
    today = timezone.localdate()
    later = policy_version_publish(
        version=_draft(effective_on=today + timedelta(days=3)), actor=supervisor
    )
    client = _client(borrower)
    assert client.get(MY_CREDIT).status_code == 200
    policies_page = client.get(reverse("policies")).content.decode()
    assert later.version in policies_page  # readable before it applies
    with time_machine.travel(timezone.now() + timedelta(days=3, hours=1)):
        assert client.get(MY_CREDIT).status_code == 302


def test_a_version_no_longer_in_force_is_refused_and_changes_nothing(
    borrower, published, supervisor
):
    newer = policy_version_publish(
        version=_draft(version="2027-01", changes_zh="改", changes_en="Changed."),
        actor=supervisor,
    )
    with pytest.raises(ValidationError):
        policies_accept(user=borrower, version_ids=[published.pk])
    answer = _client(borrower).post(reverse("consent"), {"versions": [published.pk], "agree": "on"})
    assert answer.status_code == 400
    assert PolicyAcceptance.objects.count() == 0 and not _consent_entries().exists()
    assert consent.pending_versions(borrower) == [newer]


def test_staff_are_never_gated(published, supervisor):
    assert _client(supervisor).get("/admin/").status_code == 200


def test_pages_on_the_way_stay_open(borrower, published):
    client = _client(borrower)
    for url in (reverse("help"), reverse("policies"), reverse("appeals:support")):
        assert client.get(url).status_code == 200, url
    # Someone who will not accept the new version can still take a copy of their data and
    # ask to delete their account.
    for url in (reverse("data-rights"), reverse("account-delete")):
        assert client.get(url).status_code == 200, url


def test_the_next_address_stays_on_this_site(borrower, published):
    answer = _client(borrower).post(
        reverse("consent"),
        {"versions": [published.pk], "agree": "on", "next": "https://elsewhere.example/"},
    )
    assert answer["Location"] == "/"


# --- The API --------------------------------------------------------------------------------


def test_the_api_answers_consent_required_until_accepted(borrower, published):
    client = _client(borrower)
    refused = client.get("/api/v1/me/credit-line/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "consent_required"
    listed = client.get("/api/v1/consents/").json()
    assert listed["pending"] is True
    assert [d["id"] for d in listed["documents"]] == [published.pk]
    bad = client.post("/api/v1/consents/", {"versions": []}, content_type="application/json")
    assert bad.status_code == 400 and PolicyAcceptance.objects.count() == 0
    done = client.post(
        "/api/v1/consents/", {"versions": [published.pk]}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["pending"] is False
    assert PolicyAcceptance.objects.get().channel == "api"
    assert client.get("/api/v1/me/credit-line/").status_code != 403


# --- Publishing -----------------------------------------------------------------------------


def test_publishing_is_audited_once_and_a_published_version_never_changes(supervisor):
    draft = _draft()
    policy_version_publish(version=draft, actor=supervisor)
    entries = AuditEntry.objects.filter(kind="accounts.policy_published")
    assert entries.count() == 1 and entries.get().actor == supervisor
    with pytest.raises(ValidationError):
        policy_version_publish(version=draft, actor=supervisor)
    draft.refresh_from_db()
    draft.body_en = "Rewritten."
    with pytest.raises(ValidationError):
        policy_version_save_draft(version=draft)
    assert PolicyVersion.objects.get().body_en == "How we use your information."
    assert entries.count() == 1


def test_only_a_supervisor_publishes():
    from django.core.exceptions import PermissionDenied

    from accounts.roles import AGENT, AUDITOR

    draft = _draft()
    for role in (AGENT, AUDITOR):
        with pytest.raises(PermissionDenied):
            policy_version_publish(version=draft, actor=f.staff(role))
    assert not PolicyVersion.objects.get().is_published
    assert not AuditEntry.objects.filter(kind="accounts.policy_published").exists()


def test_a_later_version_must_say_what_changed(published, supervisor):
    with pytest.raises(ValidationError) as raised:
        policy_version_publish(version=_draft(version="2027-01"), actor=supervisor)
    assert "changes_zh" in raised.value.message_dict
    assert not PolicyVersion.objects.filter(version="2027-01", published_at__isnull=False)


def test_a_new_version_tells_borrowers_what_the_message_promises(
    published, supervisor, django_capture_on_commit_callbacks
):
    english = BorrowerFactory(preferred_language="en")
    staff_member = supervisor
    newer = _draft(
        version="2027-01",
        effective_on=timezone.localdate() + timedelta(days=5),
        changes_zh="改",
        changes_en="Changed.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        policy_version_publish(version=newer, actor=staff_member)
    rows = Notification.objects.filter(recipient=english, event="policy.updated")
    assert rows.exists()
    inbox = rows.get(channel="inbox")
    assert "2027-01" in inbox.body_text
    assert "accept" in inbox.body_text  # "…we will ask you to read and accept the new version…"
    assert not Notification.objects.filter(recipient=staff_member).exists()
    # Running the announcement again (a retried task) sends nothing more.
    count = Notification.objects.count()
    policy_version_announce(version_id=newer.pk)
    assert Notification.objects.count() == count
    # …and the promise is kept: from the effective date the borrower is asked.
    client = _client(english)
    assert client.get(MY_CREDIT).status_code == 302  # the first version, never accepted
    policies_accept(user=english, version_ids=[published.pk])
    assert _client(english).get(MY_CREDIT).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=5, hours=1)):
        assert _client(english).get(MY_CREDIT).status_code == 302


def test_the_first_version_of_a_document_is_not_announced_as_an_update(
    borrower, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = policy_version_publish(version=_draft(), actor=supervisor)
    assert policy_version_announce(version_id=first.pk) == 0  # nor by a stray call
    assert not Notification.objects.filter(event="policy.updated").exists()


def test_the_effective_date_cannot_be_in_the_past(supervisor):
    draft = _draft(effective_on=date(2020, 1, 1))
    with pytest.raises(ValidationError):
        policy_version_publish(version=draft, actor=supervisor)


def test_once_accepted_a_page_costs_no_query_more_than_without_any_policy(borrower, supervisor):
    client = _client(borrower)
    client.get(MY_CREDIT)
    with CaptureQueriesContext(connection) as without:
        client.get(MY_CREDIT)
    version = policy_version_publish(version=_draft(), actor=supervisor)
    policies_accept(user=borrower, version_ids=[version.pk])
    client.get(MY_CREDIT)  # reads what is in force, remembers the acceptance in the session
    with CaptureQueriesContext(connection) as accepted:
        client.get(MY_CREDIT)
    assert len(accepted) == len(without)


def test_a_supervisor_publishes_in_the_admin_and_a_published_version_is_read_only(supervisor):
    draft = _draft()
    client = _client(supervisor)
    changelist = reverse("admin:accounts_policyversion_changelist")
    answer = client.post(
        changelist, {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )
    assert answer.status_code == 200
    draft.refresh_from_db()
    assert draft.published_by == supervisor
    assert AuditEntry.objects.filter(kind="accounts.policy_published").count() == 1
    change = client.get(reverse("admin:accounts_policyversion_change", args=[draft.pk]))
    assert change.status_code == 200 and 'name="body_en"' not in change.content.decode()
    # A draft with a missing text is refused with the reason, and stays a draft.
    empty = _draft(version="2027-01")
    PolicyVersion.objects.filter(pk=empty.pk).update(body_en="")
    answer = client.post(
        changelist, {"action": "publish", "_selected_action": [empty.pk]}, follow=True
    )
    assert "Needed in both languages." in answer.content.decode()
    assert not PolicyVersion.objects.get(pk=empty.pk).is_published
