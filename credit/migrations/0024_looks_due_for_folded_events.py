"""Carry the lines with events folded since their last look over to the new rule for new
events: ingestion now marks the look itself (`next_look_at`), and the nightly scan no longer
compares the kept facts' `folded_at` with `looked_at`. A line whose events came in before this
release and were not yet looked at gets its look set to the fold, or it would wait for its next
planned look."""

from django.db import migrations


def mark_folded_lines_due(apps, schema_editor):
    look = apps.get_model("credit", "LineLook")._meta.db_table
    state = apps.get_model("credit", "LineFeatureState")._meta.db_table
    schema_editor.execute(
        f"UPDATE {look} SET next_look_at = s.folded_at FROM {state} s"  # noqa: S608 - model tables
        f" WHERE s.line_id = {look}.line_id AND s.folded_at > {look}.looked_at"
        f" AND {look}.next_look_at > s.folded_at"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0023_credit_event_line_index_covered"),
    ]

    operations = [migrations.RunPython(mark_folded_lines_due, migrations.RunPython.noop)]
