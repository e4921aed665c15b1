"""Leave half of each page of the feature states free (PostgreSQL `fillfactor`).

Every batch of events rewrites the state row of each line it touches, and the nightly pass
rewrites many more. On full pages such an update can't stay on its page (not a HOT update):
the row moves, the primary key gets a new entry, and the old version waits for a vacuum. In
the HTTP benchmark 98% of the updates were of that kind and the database's CPU per batch grew
from 38 to 76 ms over 80 batches; with free room on each page most updates are HOT and it
stayed at 27-30 ms. Existing pages take the setting as they are rewritten (vacuum, updates).
"""

from django.db import migrations

TABLE = "credit_linefeaturestate"


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0021_evaluation_batch_last_progress"),
    ]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
