"""The audit trail itself: append-only in the database, written only inside an act."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry
from audit.services import AuditOutsideTransaction, audit_record
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _one_entry():
    with transaction.atomic():
        return audit_record(kind="audit.exported", actor=StaffFactory(), summary="test export")


def test_the_table_is_named_for_an_auditor_with_sql():
    assert AuditEntry._meta.db_table == "audit_entry"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET summary = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_entry WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_remove_an_entry(statement):
    entry = _one_entry()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])

    entry.refresh_from_db()
    assert entry.summary == "test export"


@pytest.mark.postgres
def test_the_orm_cannot_change_or_delete_one_either():
    entry = _one_entry()

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(summary="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()

    assert AuditEntry.objects.get(pk=entry.pk).summary == "test export"


@pytest.mark.django_db(transaction=True)
def test_an_entry_outside_the_acts_transaction_is_refused():
    with pytest.raises(AuditOutsideTransaction):
        audit_record(kind="audit.exported", summary="no act around me")
    assert not AuditEntry.objects.exists()


def test_an_unregistered_kind_fails_the_act():
    with pytest.raises(ImproperlyConfigured, match="no.such"), transaction.atomic():
        audit_record(kind="no.such")
    assert not AuditEntry.objects.exists()
