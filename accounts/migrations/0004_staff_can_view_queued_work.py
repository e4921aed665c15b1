from django.db import migrations


def sync_groups(apps, schema_editor):
    from accounts.roles import sync_staff_groups

    sync_staff_groups(apps)


class Migration(migrations.Migration):
    """Supervisors and the auditor read queued work (jobs/roles.py); jobs sits below
    accounts, so accounts applies the grant."""

    dependencies = [
        ("accounts", "0003_api_tokens"),
        ("jobs", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
