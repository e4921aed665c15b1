"""A borrower's copy of their data: every kind of record, nobody else's, only for its owner."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts import rights
from accounts.models import DataExport, DataExportStatus
from accounts.roles import SUPERVISOR
from accounts.services import policies_accept, policy_version_publish
from appeals import services as appeal_services
from audit.models import AuditEntry
from notifications.services import preferences_update
from tests.accounts.test_consent import _draft as consent_draft
from tests.appeals import factories as f
from tests.appeals.files import pdf
from tests.factories import BorrowerFactory


def rich_borrower(tag: str, **person):
    """A borrower with a closing line, an appeal with evidence, a public thread, an internal
    note, a support request, notifications and a notification setting, all through services."""
    borrower = BorrowerFactory(**person)
    worker = f.agent()
    appeal = f.draft_appeal(borrower=borrower, statement=f"{tag} 我的申诉陈述")
    appeal_services.evidence_add(appeal=appeal, actor=borrower, upload=pdf(f"{tag}-结清证明.pdf"))
    appeal = appeal_services.appeal_submit(appeal=appeal, actor=borrower)
    appeal = appeal_services.appeal_start_review(appeal=appeal, actor=worker)
    appeal = appeal_services.appeal_request_info(
        appeal=appeal, actor=worker, request=f"{tag} please send the settlement letter"
    )
    appeal_services.appeal_borrower_message(appeal=appeal, actor=borrower, body=f"{tag} 已上传")
    appeal_services.appeal_staff_message(
        appeal=appeal, actor=worker, body=f"{tag} INTERNAL-NOTE", internal=True
    )
    appeal_services.support_request_open(
        borrower=borrower, subject=f"{tag} 咨询", body=f"{tag} support question"
    )
    preferences_update(user=borrower, choices={("appeals", "sms"): False})
    return borrower


def build(person) -> DataExport:
    export = rights.data_export_request(person=person)
    return rights.data_export_build(export_id=export.pk)


def read_json(export: DataExport) -> dict:
    with rights.export_storage().open(export.json_name, "rb") as handle:
        return json.loads(handle.read())


def pdf_text(export: DataExport) -> str:
    with rights.export_storage().open(export.pdf_name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db
def test_the_copy_has_every_kind_of_record_and_nothing_of_another_borrower():
    mine = rich_borrower("MINE", full_name="李明", email="li.ming@example.com")
    theirs = rich_borrower("THEIRS", full_name="王芳", email="wang.fang@example.com")
    privacy = policy_version_publish(version=consent_draft(), actor=f.staff(SUPERVISOR))
    policies_accept(user=mine, version_ids=[privacy.pk], ip_address="203.0.113.7")
    policies_accept(user=theirs, version_ids=[privacy.pk], ip_address="198.51.100.99")

    export = build(mine)

    assert export.status == DataExportStatus.READY
    data = read_json(export)
    assert data["profile"][0]["email"] == "li.ming@example.com"
    assert data["profile"][0]["name"] == "李明"
    assert data["credit_line"][0]["status"]
    decision = next(d for d in data["decisions"] if d["reasons"])
    assert {"title", "explanation", "advice", "code"} <= decision["reasons"][0].keys()
    assert decision["reasons"][0]["title"]  # the wording the decision was made with
    assert decision["features"] and decision["features"][0]["value"] is not None
    assert data["credit_events"]
    [appeal] = data["appeals"]
    assert appeal["statement"] == "MINE 我的申诉陈述"
    bodies = [m["body"] for m in appeal["messages"]]
    assert "MINE 已上传" in bodies
    assert "MINE please send the settlement letter" in bodies
    [evidence] = appeal["evidence"]
    assert evidence["file_name"] == "MINE-结清证明.pdf"
    assert len(evidence["sha256"]) == 64
    assert appeal["status_history"]
    assert data["support_requests"][0]["subject"] == "MINE 咨询"
    assert data["notifications"]  # what we told her, on each channel
    [accepted] = data["consents"]  # hers, not the other borrower's
    assert accepted["version"] == "2026-11" and accepted["title"] == "隐私政策"
    assert accepted["from_address"] == "203.0.113.7"
    assert data["notification_settings"] == [
        {"category": "appeals", "channel": "短信", "enabled": False}
    ]

    raw = json.dumps(data, ensure_ascii=False)
    for foreign in ("THEIRS", "王芳", "wang.fang@example.com", theirs.customer_id, "198.51.100.99"):
        assert foreign not in raw
    assert "INTERNAL-NOTE" not in raw  # staff notes are never shown to a borrower

    text = pdf_text(export)
    assert "李明" in text and "MINE 我的申诉陈述" in text  # Chinese drawn, not boxes
    assert "MINE-结清证明.pdf" in text
    assert "王芳" not in text and "THEIRS" not in text and "INTERNAL-NOTE" not in text


@pytest.mark.django_db
def test_an_english_borrower_gets_an_english_pdf():
    person = rich_borrower(
        "EN", preferred_language="en", full_name="Emma Liu", time_zone="America/New_York"
    )
    export = build(person)
    text = pdf_text(export)
    assert "Your data at Recourse" in text
    assert "Supporting documents" in text and "Emma Liu" in text
    joined = read_json(export)["profile"][0]["joined_at"]  # in her time zone, not Shanghai's
    assert joined.endswith(("-05:00", "-04:00"))


@pytest.mark.django_db
def test_the_page_asks_for_a_copy_shows_it_ready_and_serves_it_to_its_owner_only(
    client, django_capture_on_commit_callbacks
):
    owner = BorrowerFactory(preferred_language="en")
    other = BorrowerFactory()
    client.force_login(owner)
    client.cookies["recourse_language"] = "en"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("data-rights"))
    assert response.status_code == 302
    export = DataExport.objects.get(owner=owner)
    assert export.status == DataExportStatus.READY  # the task ran on commit (eager here)

    page = client.get(reverse("data-rights"))
    assert "Ready to download" in page.content.decode()
    client.cookies["recourse_language"] = "zh-hans"
    assert "可以下载" in client.get(reverse("data-rights")).content.decode()
    pdf_url = reverse("data-export-download", args=[export.pk, "pdf"])
    assert pdf_url in page.content.decode()

    download = client.get(pdf_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("data-export-download", args=[export.pk, "json"])).status_code == 200
    kinds = list(
        AuditEntry.objects.filter(kind="accounts.data_export", actor=owner)
        .order_by("id")
        .values_list("details__act", flat=True)
    )
    assert kinds == ["requested", "downloaded", "downloaded"]

    client.force_login(other)
    assert client.get(pdf_url).status_code == 404  # another borrower's export id
    assert client.get(reverse("data-export-download", args=[export.pk, "json"])).status_code == 404


@pytest.mark.django_db
def test_an_expired_copy_is_gone(client):
    owner = BorrowerFactory()
    export = build(owner)
    with time_machine.travel(export.expires_at + timedelta(minutes=1), tick=False):
        client.force_login(owner)
        url = reverse("data-export-download", args=[export.pk, "pdf"])
        assert client.get(url).status_code == 404
        assert rights.data_exports_expire() == 1
    export.refresh_from_db()
    assert export.status == DataExportStatus.EXPIRED
    assert not rights.export_storage().listdir(str(owner.pk))[1]  # the files are removed


@pytest.mark.django_db
def test_asking_twice_while_preparing_makes_one_copy():
    owner = BorrowerFactory()
    first = rights.data_export_request(person=owner)
    assert rights.data_export_request(person=owner) == first
    assert DataExport.objects.filter(owner=owner).count() == 1
    rights.data_export_build(export_id=first.pk)
    rights.data_export_build(export_id=first.pk)  # a redelivered task changes nothing
    assert DataExport.objects.get().status == DataExportStatus.READY


@pytest.mark.django_db
def test_settings_page_links_to_your_data(client):
    client.force_login(BorrowerFactory(preferred_language="zh-hans"))
    page = client.get(reverse("notifications:preferences"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert reverse("data-rights") in page.content.decode()


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_prepares_the_copy(celery_worker_process, client):
    owner = BorrowerFactory(full_name="张敏")
    client.force_login(owner)
    client.post(reverse("data-rights"), {})
    deadline = time.monotonic() + 60
    export = DataExport.objects.get(owner=owner)
    while export.status == DataExportStatus.PREPARING and time.monotonic() < deadline:
        time.sleep(0.5)
        export.refresh_from_db()
    assert export.status == DataExportStatus.READY
    assert read_json(export)["profile"][0]["name"] == "张敏"
    assert export.expires_at > timezone.now()
