from django.db import migrations


def sync_groups(apps, schema_editor):
    from accounts.roles import sync_staff_groups

    sync_staff_groups(apps)


class Migration(migrations.Migration):
    """Staff who read credit lines also read their scheduled re-evaluations (credit/roles.py):
    the line's admin page lists them."""

    dependencies = [
        ("credit", "0024_looks_due_for_folded_events"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
