"""Retention with time travel: kept at least 25 months after the newest record, then the
personal details and evidence files go and the figures stay; legal holds are skipped; a
deletion request is confirmed, ends sign-in and is handled by the same rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts import rights
from accounts.models import DeletionRequest, LegalHold, PolicyAcceptance, User
from accounts.roles import SUPERVISOR
from accounts.services import policies_accept, policy_version_publish
from appeals import evidence as evidence_files
from appeals import services as appeal_services
from appeals.models import Appeal, AppealStatus, Evidence, Message
from audit.models import AuditEntry
from config.beat import BEAT_SCHEDULE
from credit import services as credit_services
from credit.models import CreditDecision, CreditLineStatus
from notifications.models import Notification
from tests.accounts.test_consent import _draft as consent_draft
from tests.appeals import factories as f
from tests.appeals.files import pdf
from tests.factories import PASSWORD, BorrowerFactory

pytestmark = pytest.mark.django_db


def ended_relationship():
    """A borrower whose line closed after a denied appeal with evidence: nothing is in use
    once the second-review window has passed. Returns (borrower, when the line closed)."""
    borrower = BorrowerFactory(full_name="赵磊", email="zhao.lei@example.com")
    appeal = f.draft_appeal(borrower=borrower, statement="我的陈述 PRIVATE-STATEMENT")
    appeal_services.evidence_add(appeal=appeal, actor=borrower, upload=pdf("bank.pdf"))
    appeal = appeal_services.appeal_submit(appeal=appeal, actor=borrower)
    appeal = appeal_services.appeal_start_review(appeal=appeal, actor=f.agent())
    appeal_services.appeal_borrower_message(appeal=appeal, actor=borrower, body="PRIVATE-MESSAGE")
    appeal_services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="多头借贷仍存在。")
    privacy = policy_version_publish(version=consent_draft(), actor=f.staff(SUPERVISOR))
    policies_accept(
        user=borrower, version_ids=[privacy.pk], ip_address="203.0.113.7", user_agent="Phone/1"
    )
    closed_at = timezone.now() + timedelta(days=60)
    with time_machine.travel(closed_at, tick=False):
        credit_services.credit_lines_close_due(now=closed_at)
    line = borrower.credit_line
    line.refresh_from_db()
    assert line.status == CreditLineStatus.CLOSED
    return borrower, closed_at


def months_later(moment, months: int, days: int = 1):
    return rights.months_after(moment, months) + timedelta(days=days)


def test_records_are_kept_25_months_then_personal_details_and_files_go_and_figures_stay():
    borrower, closed_at = ended_relationship()
    item = Evidence.objects.get(appeal__borrower=borrower)
    storage = evidence_files.private_storage()
    assert storage.exists(item.stored_name)
    decisions = CreditDecision.objects.filter(line__borrower=borrower).count()

    with time_machine.travel(months_later(closed_at, 25, days=-2), tick=False):
        assert rights.retention_apply()["erased"] == 0  # 25 months are not over
    borrower.refresh_from_db()
    assert borrower.full_name == "赵磊" and borrower.erased_at is None

    with time_machine.travel(months_later(closed_at, 25), tick=False):
        assert rights.retention_apply()["erased"] == 1
    borrower.refresh_from_db()
    assert borrower.erased_at is not None
    assert borrower.full_name == "" and borrower.phone is None and borrower.customer_id is None
    assert "zhao.lei" not in borrower.email and not borrower.is_active
    assert not storage.exists(item.stored_name)  # the evidence file is gone
    appeal = Appeal.objects.get(borrower=borrower)
    assert appeal.status == AppealStatus.DENIED and appeal.decided_at  # the figures stay
    assert appeal.statement == "" and appeal.grounds
    assert not Message.objects.filter(appeal=appeal, body__contains="PRIVATE").exists()
    assert CreditDecision.objects.filter(line__borrower=borrower).count() == decisions
    notices = Notification.objects.filter(recipient=borrower)
    assert notices.exists() and not notices.exclude(address="").exists()
    [entry] = AuditEntry.objects.filter(kind="accounts.personal_data_erased")
    assert entry.object_id == str(borrower.pk)
    assert entry.details["removed"]["evidence_files"] == 1
    # What was accepted, and when, stays; where from does not.
    [accepted] = PolicyAcceptance.objects.filter(user=borrower)
    assert accepted.accepted_at and accepted.ip_address is None and accepted.user_agent == ""

    with time_machine.travel(months_later(closed_at, 26), tick=False):
        assert rights.retention_apply()["erased"] == 0  # once only


def test_a_person_under_legal_hold_is_skipped_until_the_hold_is_lifted():
    borrower, closed_at = ended_relationship()
    supervisor = f.supervisor()
    hold = rights.legal_hold_place(
        person=borrower, reason="Regulator inquiry 2026-114", actor=supervisor
    )

    with time_machine.travel(months_later(closed_at, 30), tick=False):
        assert rights.retention_apply()["erased"] == 0
        borrower.refresh_from_db()
        assert borrower.full_name == "赵磊"
        rights.legal_hold_lift(hold=hold, actor=supervisor)
        assert rights.retention_apply()["erased"] == 1

    acts = list(
        AuditEntry.objects.filter(kind="accounts.legal_hold")
        .order_by("id")
        .values_list("details__act", "actor_id")
    )
    assert acts == [("placed", supervisor.pk), ("lifted", supervisor.pk)]


@translation.override("en")
def test_a_legal_hold_needs_a_reason_and_one_at_a_time():
    borrower = BorrowerFactory()
    supervisor = f.supervisor()
    with pytest.raises(ValidationError, match="10 characters"):
        rights.legal_hold_place(person=borrower, reason="why", actor=supervisor)
    assert not LegalHold.objects.exists()
    rights.legal_hold_place(person=borrower, reason="Court order 2026/77", actor=supervisor)
    with pytest.raises(ValidationError, match="already"):
        rights.legal_hold_place(person=borrower, reason="Court order 2026/78", actor=supervisor)
    assert LegalHold.objects.count() == 1


def test_an_open_line_keeps_its_records_however_old():
    line = f.draft_appeal().line  # a closing line with a draft appeal
    with time_machine.travel(timezone.now() + timedelta(days=365 * 5), tick=False):
        assert rights.retention_apply()["erased"] == 0
    assert User.objects.get(pk=line.borrower_id).erased_at is None


def test_deleting_the_account_is_confirmed_ends_sign_in_and_says_until_when_records_are_kept(
    client,
):
    borrower, closed_at = ended_relationship()
    url = reverse("account-delete")
    with time_machine.travel(closed_at + timedelta(days=1), tick=False):
        client.force_login(borrower)
        assert client.get(url).status_code == 200

        wrong = client.post(url, {"password": "not it", "understood": "on"})
        assert wrong.status_code == 200
        borrower.refresh_from_db()
        assert borrower.is_active and not DeletionRequest.objects.exists()  # nothing changed

        done = client.post(url, {"password": PASSWORD, "understood": "on"})
        assert done.status_code == 200
        assert client.get(reverse("data-rights")).status_code == 302  # signed out
    request = DeletionRequest.objects.get(person=borrower)
    assert request.keep_until >= rights.months_after(closed_at, 25)
    keep_until = timezone.localtime(request.keep_until, borrower.zoneinfo)
    assert f"{keep_until.year}年{keep_until.month}月{keep_until.day}日" in done.content.decode()
    borrower.refresh_from_db()
    assert not borrower.is_active and borrower.erased_at is None  # kept, as the law requires
    assert AuditEntry.objects.filter(kind="accounts.deletion_request", actor=borrower).count() == 1

    with time_machine.travel(request.keep_until + timedelta(days=1), tick=False):
        assert rights.retention_apply()["erased"] == 1
    request.refresh_from_db()
    assert request.erased_at is not None


def test_a_person_with_nothing_to_keep_is_erased_at_once(client):
    borrower = BorrowerFactory(full_name="Nobody Kept", preferred_language="en")
    client.force_login(borrower)
    client.cookies["recourse_language"] = "en"
    response = client.post(reverse("account-delete"), {"password": PASSWORD, "understood": "on"})
    assert "We have removed your name" in response.content.decode()
    borrower.refresh_from_db()
    assert borrower.erased_at is not None and borrower.full_name == ""


def test_the_tick_is_required(client):
    borrower = BorrowerFactory(preferred_language="en")
    client.force_login(borrower)
    response = client.post(reverse("account-delete"), {"password": PASSWORD})
    assert response.status_code == 200 and not DeletionRequest.objects.exists()


def test_a_retention_period_under_25_months_is_refused(settings):
    settings.PERSONAL_DATA_RETENTION_MONTHS = 24
    assert [e.id for e in run_checks() if e.id == "accounts.E001"] == ["accounts.E001"]
    settings.PERSONAL_DATA_RETENTION_MONTHS = 25
    assert not [e for e in run_checks() if e.id == "accounts.E001"]


def test_the_retention_job_runs_daily():
    assert BEAT_SCHEDULE["accounts.apply_retention"]["task"] == "accounts.apply_retention"


def test_months_are_calendar_months():
    moment = timezone.datetime(2026, 3, 31, 12, tzinfo=timezone.get_current_timezone())
    assert rights.months_before(moment, 1).date().isoformat() == "2026-02-28"
    assert rights.months_after(moment, 25).date().isoformat() == "2028-04-30"


def test_a_supervisor_places_a_hold_in_the_admin_and_lifts_it(client):
    borrower = BorrowerFactory()
    supervisor = f.supervisor()
    client.force_login(supervisor)
    client.cookies["recourse_language"] = "en"
    add = reverse("admin:accounts_legalhold_add")

    short = client.post(add, {"person": borrower.pk, "reason": "why"})
    assert short.status_code == 200 and not LegalHold.objects.exists()
    assert "10 characters" in short.content.decode()

    placed = client.post(add, {"person": borrower.pk, "reason": "Court order 2026/77"})
    assert placed.status_code == 302
    hold = LegalHold.objects.get(person=borrower)
    assert hold.placed_by == supervisor and hold.in_place

    again = client.post(add, {"person": borrower.pk, "reason": "Court order 2026/78"})
    assert "already under a legal hold" in again.content.decode()
    assert LegalHold.objects.count() == 1

    changelist = reverse("admin:accounts_legalhold_changelist")
    client.post(changelist, {"action": "lift_holds", "_selected_action": [hold.pk]})
    hold.refresh_from_db()
    assert hold.lifted_by == supervisor and not hold.in_place
    assert AuditEntry.objects.filter(kind="accounts.legal_hold").count() == 2
