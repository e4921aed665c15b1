"""Each reason code's texts as they stand become its wording version 1, and every decision
reason already written points at it.

What a borrower was told before this migration was not kept (texts were edited in place):
version 1 is the best record there is, the texts of today. From now on an edit makes a new
version and old decisions keep theirs.

Decision reasons are immutable (migration 0003: a trigger refuses UPDATE on PostgreSQL). This
is the one rewrite they ever get, filling the new column without touching what the row says;
the trigger is switched off for it inside this migration's transaction and on again at once.
"""

from django.db import migrations

FIELDS = ("title_zh", "title_en", "explanation_zh", "explanation_en", "advice_zh", "advice_en")


def first_versions(apps, schema_editor):
    ReasonCode = apps.get_model("credit", "ReasonCode")
    ReasonWording = apps.get_model("credit", "ReasonWording")
    DecisionReason = apps.get_model("credit", "DecisionReason")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(
            "ALTER TABLE credit_decisionreason DISABLE TRIGGER credit_decisionreason_immutable",
            params=None,
        )
    for code in ReasonCode.objects.filter(wording__isnull=True):
        wording = ReasonWording.objects.create(
            reason_code=code, version=1, **{name: getattr(code, name) for name in FIELDS}
        )
        ReasonCode.objects.filter(pk=code.pk).update(wording=wording)
        DecisionReason.objects.filter(reason_code=code, wording__isnull=True).update(
            wording=wording
        )
    if postgres:
        # The foreign key checks of the rows just updated run now, so the table has no
        # pending trigger events when the guard is switched on again.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE", params=None)
        schema_editor.execute(
            "ALTER TABLE credit_decisionreason ENABLE TRIGGER credit_decisionreason_immutable",
            params=None,
        )


def sync_staff_groups(apps, schema_editor):
    from accounts.roles import sync_staff_groups

    sync_staff_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("credit", "0008_reason_wording_versions")]

    operations = [
        migrations.RunPython(first_versions, migrations.RunPython.noop),
        migrations.RunPython(sync_staff_groups, migrations.RunPython.noop),
    ]
