"""Findings 5 and 6: an image claiming enormous dimensions is refused clearly (API and page);
evidence is stored and served under a name whose extension matches its sniffed type, without
control or bidirectional-override characters."""

import struct
import zlib

import pytest
from django.urls import reverse

from appeals import services
from tests.appeals import factories as f
from tests.appeals.files import PDF, upload

pytestmark = pytest.mark.django_db


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


BOMB = _png_claiming(100_000, 100_000)


def test_an_image_claiming_huge_dimensions_is_refused_on_the_api(client):
    appeal = f.draft_appeal()
    client.force_login(appeal.borrower)
    client.cookies["recourse_language"] = "en"
    response = client.post(
        reverse("api-appeal-evidence", args=[appeal.pk]), {"file": upload("bomb.png", BOMB)}
    )
    assert response.status_code == 400
    assert "too large in pixels" in response.json()["error"]["fields"]["file"][0]
    assert appeal.evidence.count() == 0


def test_an_image_claiming_huge_dimensions_is_refused_on_the_page(client):
    appeal = f.draft_appeal()
    client.force_login(appeal.borrower)
    response = client.post(
        reverse("appeals:add-evidence", args=[appeal.pk]), {"file": upload("bomb.png", BOMB)}
    )
    assert response.status_code == 400
    assert appeal.evidence.count() == 0


POLYGLOT = PDF + b"<html><script>alert(document.domain)</script></html>"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("evidence.html", "evidence.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.pdf"),
        ("re\u200bceipt\u2066.pdf", "receipt.pdf"),
        ("statement", "statement.pdf"),
        ("结清证明.PDF", "结清证明.PDF"),
    ],
)
def test_the_name_shown_and_served_matches_the_sniffed_type(client, given, shown):
    appeal = f.draft_appeal()
    item = services.evidence_add(
        appeal=appeal, actor=appeal.borrower, upload=upload(given, POLYGLOT)
    )
    assert item.original_name == shown
    assert item.stored_name.endswith(".pdf")
    client.force_login(appeal.borrower)
    response = client.get(reverse("api-appeal-evidence-file", args=[appeal.pk, item.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert ".html" not in response["Content-Disposition"]
    assert "\u202e" not in response["Content-Disposition"]
