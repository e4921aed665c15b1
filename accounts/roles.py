"""Staff roles are Django groups. This module is the one place that says what each may do.

Later apps add their permissions here and ship a migration that calls
`sync_staff_groups`, so the groups in every database match this table.
"""

from collections.abc import Iterable

AGENT = "agent"
REVIEWER = "reviewer"
SUPERVISOR = "supervisor"
AUDITOR = "compliance auditor"
STAFF_ROLES = (AGENT, REVIEWER, SUPERVISOR, AUDITOR)

# The apps whose every model the auditor may read.
PROJECT_APPS = ("accounts", "credit", "appeals", "notifications")

# role -> "app_label.codename" it holds (beyond the auditor's read-everything rule).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    AGENT: ("accounts.view_user",),
    REVIEWER: ("accounts.view_user",),
    SUPERVISOR: ("accounts.view_user",),
    AUDITOR: (),
}
# Notifications: every role reads the outbox (what a borrower was told and when);
# supervisors may resend a failed row or cancel a pending one.
_NOTIFICATIONS_READ = (
    "notifications.view_notification",
    "notifications.view_deliveryattempt",
    "notifications.view_staffmessage",  # their own inbox in the admin
)
ROLE_PERMISSIONS[AGENT] += _NOTIFICATIONS_READ
ROLE_PERMISSIONS[REVIEWER] += _NOTIFICATIONS_READ
ROLE_PERMISSIONS[SUPERVISOR] += _NOTIFICATIONS_READ + (
    "notifications.resend_notification",
    "notifications.cancel_notification",
)

# Credit: agents and reviewers read lines, decisions, events and reason codes; supervisors
# also request re-evaluations, edit reason codes and draft/activate rule versions.
CREDIT_READ = (
    "credit.view_creditline",
    "credit.view_creditdecision",
    "credit.view_decisionreason",
    "credit.view_creditevent",
    "credit.view_reasoncode",
    "credit.view_closuredeferral",
)
ROLE_PERMISSIONS[AGENT] += CREDIT_READ
ROLE_PERMISSIONS[REVIEWER] += CREDIT_READ
ROLE_PERMISSIONS[SUPERVISOR] += CREDIT_READ + (
    "credit.reevaluate_creditline",
    "credit.add_reasoncode",
    "credit.change_reasoncode",
    "credit.view_scorecard",
    "credit.add_scorecard",
    "credit.change_scorecard",
    "credit.view_decisionpolicy",
    "credit.add_decisionpolicy",
    "credit.change_decisionpolicy",
)


def permissions_for(role: str, available: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (app_label, codename) pairs a role holds, out of those that exist."""
    available = set(available)
    wanted = {tuple(p.split(".", 1)) for p in ROLE_PERMISSIONS[role]}
    if role == AUDITOR:
        wanted |= {
            (app, codename)
            for app, codename in available
            if app in PROJECT_APPS and codename.startswith("view_")
        }
    return wanted & available


def sync_staff_groups(apps=None) -> None:
    """Create the staff groups and give each exactly the permissions of its role."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    from django.contrib.auth.management import create_permissions

    # In a migration, permissions of models created in the same run don't exist yet.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_key = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type")
    }
    for role in STAFF_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([by_key[key] for key in permissions_for(role, by_key)])
