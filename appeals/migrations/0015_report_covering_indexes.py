"""The appeals report's overturn table joins each decided appeal to its decision, the
decision's reasons and its campaign line. At 1,000,000 appeals that join read the decisions'
and reasons' heap pages one appeal at a time (or the whole decisions table by hash join).
Covering indexes carry the few columns the report groups by, so PostgreSQL answers from the
index alone (index-only scans; decisions and reasons are immutable, so their pages stay
all-visible once vacuumed). PostgreSQL only (INCLUDE); SQLite keeps its plain indexes.
See docs/benchmarks.md, "Appeals report"."""

from django.db import migrations

INDEXES = {
    "report_decision_facts_idx": (
        "credit_creditdecision",
        "(id) INCLUDE (scorecard_id, policy_id, segment)",
    ),
    "report_reason_codes_idx": (
        "credit_decisionreason",
        "(decision_id) INCLUDE (rank, reason_code_id)",
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0014_merge_reports_and_lessons"),
        ("credit", "0013_decision_counterfactuals_and_rechecks"),
    ]

    operations = [migrations.RunPython(create, drop)]
