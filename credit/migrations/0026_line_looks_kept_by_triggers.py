"""Every line has a look, and the look carries the line's `updated_at` (`line_changed_at`),
both kept on PostgreSQL by triggers on the line table in the writer's transaction, whoever
writes the line (a service, the admin, a raw UPDATE). The nightly scan of every line then reads
the looks alone instead of joining each line to its look (`selectors.DUE_BY_LOOK`).

The verdict a look keeps becomes text in one spelling (`VerdictField`): the scan groups a
million looks by it, and text hashes several times faster than `jsonb`. Existing verdicts keep
PostgreSQL's spelling of them until their line is next looked at; the tally adds equal verdicts
spelt two ways, so nothing it counts changes.

A look the triggers create is due since 1970 ('epoch'): never looked at, the line is due
anyway (no line stamp), and a date before any pass is not taken for a mark that ingestion made
while a pass ran (`feature_state.looks_record` keeps those).

The triggers are statement-level, with the statement's rows as transition tables: one upsert of
the looks per statement, in line order (as ingestion marks looks), not one per row."""

from django.db import migrations, models

import credit.models.features

TRIGGERS = """
CREATE FUNCTION {fn_insert}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {look} (line_id, next_look_at, line_changed_at, rules_key, verdict)
    SELECT n.id, 'epoch', n.updated_at, '', '{{}}' FROM new_lines n ORDER BY n.id
    ON CONFLICT (line_id) DO UPDATE SET line_changed_at = EXCLUDED.line_changed_at;
    RETURN NULL;
END $$;

CREATE FUNCTION {fn_update}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {look} (line_id, next_look_at, line_changed_at, rules_key, verdict)
    SELECT n.id, 'epoch', n.updated_at, '', '{{}}'
    FROM new_lines n JOIN old_lines o ON o.id = n.id
    WHERE n.updated_at IS DISTINCT FROM o.updated_at ORDER BY n.id
    ON CONFLICT (line_id) DO UPDATE SET line_changed_at = EXCLUDED.line_changed_at;
    RETURN NULL;
END $$;

CREATE TRIGGER {fn_insert} AFTER INSERT ON {line}
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION {fn_insert}();

CREATE TRIGGER {fn_update} AFTER UPDATE ON {line}
    REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION {fn_update}();
"""

DROP = """
DROP TRIGGER IF EXISTS {fn_update} ON {line};
DROP TRIGGER IF EXISTS {fn_insert} ON {line};
DROP FUNCTION IF EXISTS {fn_update}();
DROP FUNCTION IF EXISTS {fn_insert}();
"""

NAMES = {"fn_insert": "credit_line_look_on_insert", "fn_update": "credit_line_look_on_update"}


def _tables(apps, schema_editor) -> dict:
    qn = schema_editor.connection.ops.quote_name
    return {
        "line": qn(apps.get_model("credit", "CreditLine")._meta.db_table),
        "look": qn(apps.get_model("credit", "LineLook")._meta.db_table),
        **NAMES,
    }


def looks_kept_by_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # (SQLite, the demo's database: the scan joins the lines to their looks)
    names = _tables(apps, schema_editor)
    # The lines never looked at get a look that is due (no line stamp); every look gets its
    # line's stamp. Then the triggers keep both.
    schema_editor.execute(
        "INSERT INTO {look} (line_id, next_look_at, rules_key, verdict)"
        " SELECT l.id, 'epoch', '', '{{}}' FROM {line} l ORDER BY l.id"
        " ON CONFLICT (line_id) DO NOTHING".format(**names)
    )
    schema_editor.execute(
        "UPDATE {look} AS k SET line_changed_at = l.updated_at FROM {line} l"
        " WHERE l.id = k.line_id".format(**names)
    )
    schema_editor.execute(TRIGGERS.format(**names))


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP.format(**_tables(apps, schema_editor)))


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0025_staff_read_scheduled_rechecks"),
    ]

    operations = [
        migrations.AddField(
            model_name="linelook",
            name="line_changed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="line changed"),
        ),
        migrations.AlterField(
            model_name="linelook",
            name="verdict",
            field=credit.models.features.VerdictField(
                blank=True, default=dict, verbose_name="last verdict"
            ),
        ),
        migrations.RunPython(looks_kept_by_triggers, drop_triggers),
    ]
