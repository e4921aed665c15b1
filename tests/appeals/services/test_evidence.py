"""Evidence: PDF/JPEG/PNG by content, size and count caps, clear refusals that change
nothing, private storage with random names and a checksum, served as an attachment."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from appeals import services
from appeals.models import Evidence
from tests.appeals import factories as f
from tests.appeals.files import PDF, image_bytes, jpeg, pdf, png, upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("make", [pdf, png, jpeg])
def test_pdf_jpeg_png_are_stored_privately_with_a_random_name_and_checksum(make):
    appeal = f.draft_appeal()
    given = make()
    content = given.read()
    given.seek(0)
    item = services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=given)
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / item.stored_name
    assert stored.read_bytes() == content
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.original_name == given.name
    assert given.name not in item.stored_name
    assert not str(stored).startswith(str(Path(settings.STATIC_ROOT or "/nonexistent")))
    assert item.content_type in ("application/pdf", "image/png", "image/jpeg")


def test_the_default_limits_are_10_mb_and_10_files():
    assert settings.APPEAL_EVIDENCE_MAX_BYTES == 10 * 1024 * 1024
    assert settings.APPEAL_EVIDENCE_MAX_FILES == 10


def _refused(appeal, file, message):
    before = Evidence.objects.filter(appeal=appeal).count()
    status = appeal.status
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=file)
    assert message in " ".join(exc.value.messages)
    assert "file" in exc.value.message_dict
    appeal.refresh_from_db()
    assert appeal.status == status
    assert Evidence.objects.filter(appeal=appeal).count() == before
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "evidence" / str(appeal.pk)
    assert not folder.exists() or len(list(folder.iterdir())) == before


@pytest.mark.parametrize(
    "file",
    [
        upload("notes.pdf", b"just some text pretending to be a PDF", "application/pdf"),
        upload("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),  # broken image
        upload("setup.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf"),  # a program
        upload("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
        upload("anim.gif", b"GIF89a" + b"\x00" * 40, "image/gif"),
        upload("fake.jpg", PDF[:4] + b"garbage", "image/jpeg"),
    ],
    ids=["text-as-pdf", "broken-png", "exe-as-pdf", "html", "gif", "truncated-pdf"],
)
def test_a_file_of_the_wrong_type_is_refused_whatever_its_name(file):
    appeal = f.draft_appeal()
    message = "PDF, JPEG" if file.name != "photo.png" else "could not be opened"
    _refused(appeal, file, message)


def test_an_empty_file_is_refused():
    appeal = f.draft_appeal()
    _refused(appeal, upload("empty.pdf", b""), "empty")


def test_a_file_over_the_size_cap_is_refused(settings):
    settings.APPEAL_EVIDENCE_MAX_BYTES = 1024
    appeal = f.draft_appeal()
    _refused(appeal, upload("big.png", image_bytes("PNG") + b"\x00" * 2048), "larger than")


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\evil.pdf", "a/b.pdf", ".hidden.pdf", "bad\x00.pdf"]
)
def test_a_name_with_path_tricks_is_refused(name):
    # Django's upload handling already keeps only the last part of a name; the service
    # refuses anything that still looks like a path (e.g. from another caller).
    from django.core.files.base import ContentFile

    appeal = f.draft_appeal()
    _refused(appeal, ContentFile(PDF, name=name), "file name is not allowed")


def test_at_most_n_files_per_appeal(settings):
    settings.APPEAL_EVIDENCE_MAX_FILES = 2
    appeal = f.draft_appeal()
    services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf())
    services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=png())
    _refused(appeal, jpeg(), "at most 2")


def test_no_evidence_after_the_appeal_is_decided():
    appeal = f.denied_appeal()
    _refused(appeal, pdf(), "can no longer be added")


def test_staff_cannot_upload_as_the_borrower():
    appeal = f.draft_appeal()
    with pytest.raises(services.AppealPermissionDenied):
        services.evidence_add(appeal=appeal, actor=f.agent(), upload=pdf())


def test_download_is_an_attachment_with_its_type_and_no_sniffing(client):
    appeal = f.draft_appeal()
    item = services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf("我的 账单.pdf"))
    client.force_login(appeal.borrower)
    response = client.get(reverse("appeals:evidence", args=[appeal.pk, item.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_staff_with_the_permission_may_download_others_may_not(client):
    appeal = f.draft_appeal()
    item = services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf())
    url = reverse("appeals:evidence", args=[appeal.pk, item.pk])
    client.force_login(f.agent())
    assert client.get(url).status_code == 200
    from tests.factories import StaffFactory

    client.force_login(StaffFactory())  # staff without an appeals role
    assert client.get(url).status_code == 404


def test_evidence_is_not_under_a_public_url(client):
    appeal = f.draft_appeal()
    item = services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=pdf())
    for prefix in ("/static/", "/media/", "/"):
        assert client.get(prefix + item.stored_name).status_code == 404


def test_refusals_are_worded_in_the_borrowers_language():
    appeal = f.draft_appeal()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.evidence_add(appeal=appeal, actor=appeal.borrower, upload=upload("a.pdf", b"x"))
    assert "只能上传 PDF、JPEG 和 PNG 文件。" in exc.value.messages
