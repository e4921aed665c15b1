"""CSV exports for auditors: streamed, filtered like the list, audited, no contact details."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEntry
from tests.appeals import factories as f

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def appeals():
    made = [f.in_review_appeal(), f.denied_appeal()]
    User.objects.filter(pk=made[0].borrower_id).update(email="li.wei@example.com")
    return made


def test_an_auditor_exports_appeals_as_filtered_and_it_is_audited(client, appeals):
    auditor = f.auditor()
    client.force_login(auditor)
    url = reverse("admin:appeals_appeal_export")

    rows = _rows(client.get(url, {"queue": "all", "q": appeals[0].reference}))

    assert rows[0][:3] == ["reference", "status", "customer_id"]
    assert [r[0] for r in rows[1:]] == [appeals[0].reference]
    assert "li.wei@example.com" not in str(rows)
    entry = AuditEntry.objects.get(kind="audit.exported")
    assert entry.actor == auditor
    assert entry.details["what"] == "appeals" and entry.details["rows"] == 1
    assert entry.details["filters"] == {"queue": "all", "q": appeals[0].reference}


def test_an_auditor_exports_decisions_with_their_reasons(client, appeals):
    client.force_login(f.auditor())
    rows = _rows(client.get(reverse("admin:credit_creditdecision_export")))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["id", "created_at"] and "reasons" in header
    assert len(body) == AuditEntry.objects.filter(kind="credit.decision").count()
    assert any(row[header.index("reasons")] for row in body)
    assert AuditEntry.objects.filter(kind="audit.exported").count() == 1


def test_exporting_the_audit_trail_is_itself_audited(client, appeals):
    supervisor = f.supervisor()
    client.force_login(supervisor)
    rows = _rows(
        client.get(reverse("admin:audit_auditentry_export"), {"kind": "appeal.transition"})
    )
    assert {row[1] for row in rows[1:]} == {"appeal.transition"}
    assert AuditEntry.objects.get(kind="audit.exported").details["filters"] == {
        "kind": "appeal.transition"
    }


def test_a_cell_a_spreadsheet_would_run_is_defused():
    from audit.exports import csv_lines

    text = "".join(csv_lines(["a"], [["=HYPERLINK(1)"], ["plain"]]))
    assert "'=HYPERLINK(1)" in text and "plain" in text


@pytest.mark.parametrize("role", ["agent", "reviewer", "supervisor"])
def test_other_roles_cannot_export_appeals(client, appeals, role):
    client.force_login(f.staff(role))
    assert client.get(reverse("admin:appeals_appeal_export")).status_code == 403
    assert not AuditEntry.objects.filter(kind="audit.exported").exists()
