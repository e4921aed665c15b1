"""The desk searches borrowers by any part of their name, email or phone: on PostgreSQL,
trigram GIN indexes make those `icontains`/`contains` lookups index scans. (SQLite has no
pg_trgm: the same lookups scan there, which is fine for development.)"""

from django.db import migrations

INDEXES = {
    "desk_user_name_trgm": "full_name",
    "desk_user_email_trgm": "email",
    "desk_user_phone_trgm": "phone",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("accounts", "User")._meta.db_table
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        # UPPER(): Django's icontains on PostgreSQL compares UPPER(column) LIKE UPPER(%term%).
        expression = f"UPPER(({column})::text)" if column != "phone" else f"(({column})::text)"
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0006_desk_replies_handoff_macros"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
