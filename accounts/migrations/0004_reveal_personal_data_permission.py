"""Supervisors and compliance auditors may reveal a person's contact details with a reason, and
read (and export) the audit trail: the permission, then the groups synced to the grants."""

from django.db import migrations


def sync_staff_groups(apps, schema_editor):
    from accounts.roles import sync_staff_groups

    sync_staff_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_tokens"),
        ("audit", "0002_audit_entry_append_only"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    (
                        "reveal_personal_data",
                        "Can reveal a person's contact details, giving a reason",
                    )
                ],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
        migrations.RunPython(sync_staff_groups, migrations.RunPython.noop),
    ]
