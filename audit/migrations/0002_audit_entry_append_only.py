"""The audit trail cannot be rewritten: on PostgreSQL a trigger refuses UPDATE and DELETE of
any row of audit_entry, whoever asks (the application, a shell, an admin with SQL).

Written by hand rather than with django-pgtrigger: it is one trigger on one table that never
changes, and the SQL below is all there is to review (see docs/audit.md). TRUNCATE is left to
the database owner (test runs empty tables with it); the application role never issues it.
SQLite (the embedded demo) has no such guard: the application never updates or deletes an
entry there either.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry;
DROP FUNCTION IF EXISTS audit_entry_refuse_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_entry")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
