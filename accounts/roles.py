"""Staff roles are Django groups; each app declares in its own `roles.py` what they may do.

This module names the roles and keeps the groups in step with the apps' declarations. An
app's `roles` module has `GRANTS`: {role: ("app_label.codename", ...)} for the permissions
of its own models; a name may end in `*` ("credit.view_*": every view permission of the
app). `sync_staff_groups` (called by each app's data migrations and by tests) finds every
project app's `roles` module, the way the admin finds `admin.py`, and gives each group
exactly the permissions declared for its role, out of those that exist at that point.
"""

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.core.exceptions import ImproperlyConfigured

from config.discovery import project_app_modules

AGENT = "agent"
REVIEWER = "reviewer"
SUPERVISOR = "supervisor"
AUDITOR = "compliance auditor"
STAFF_ROLES = (AGENT, REVIEWER, SUPERVISOR, AUDITOR)

# Accounts' own grants. Every role looks people up (contact details masked); supervisors see API
# tokens and may revoke them (change = revoke; nothing else about a token is editable).
# Supervisors and the compliance auditor may reveal one person's contact details with a reason
# (audited). The auditor reads everything and changes nothing, in this app as in every other.
# Every role reads the policy documents borrowers accept (to answer questions about them);
# supervisors write drafts and publish them, and with the auditor read who accepted what.
GRANTS: Mapping[str, tuple[str, ...]] = {
    AGENT: ("accounts.view_user", "accounts.view_policyversion"),
    REVIEWER: ("accounts.view_user", "accounts.view_policyversion"),
    SUPERVISOR: (
        "accounts.view_user",
        "accounts.view_apitoken",
        # legal holds keep a person's records past retention (placed and lifted, audited)
        "accounts.view_legalhold",
        "accounts.add_legalhold",
        "accounts.change_legalhold",
        "accounts.change_apitoken",
        "accounts.reveal_personal_data",
        "accounts.view_policyversion",
        "accounts.add_policyversion",
        "accounts.change_policyversion",
        "accounts.publish_policyversion",
        "accounts.view_policyacceptance",
    ),
    AUDITOR: ("accounts.view_*", "accounts.reveal_personal_data"),
}


def declared_grants() -> dict[str, tuple[str, ...]]:
    """Role -> every permission name the project apps grant it, in INSTALLED_APPS order."""
    grants: dict[str, list[str]] = {role: [] for role in STAFF_ROLES}
    for app_config, module in project_app_modules("roles"):
        for role, names in getattr(module, "GRANTS", {}).items():
            if role not in grants:
                raise ImproperlyConfigured(f"{module.__name__} grants to an unknown role {role!r}.")
            foreign = [n for n in names if n.split(".", 1)[0] != app_config.label]
            if foreign:
                raise ImproperlyConfigured(
                    f"{module.__name__} may grant only {app_config.label}'s own permissions, "
                    f"not {', '.join(foreign)}."
                )
            grants[role].extend(names)
    return {role: tuple(names) for role, names in grants.items()}


def permissions_for(
    role: str, available: Iterable[tuple[str, str]], grants: Mapping[str, Iterable[str]]
) -> set[tuple[str, str]]:
    """The (app_label, codename) pairs a role holds, out of those that exist."""
    patterns = tuple(grants[role])
    return {
        (app, codename)
        for app, codename in available
        if any(fnmatchcase(f"{app}.{codename}", pattern) for pattern in patterns)
    }


def sync_staff_groups(apps=None) -> None:
    """Create the staff groups and give each exactly the permissions its role is granted.

    `apps` is a migration's historical registry, or None for the running project. The grants
    are always read from the code of the installed apps.
    """
    if apps is None:
        apps = global_apps

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
    grants = declared_grants()
    for role in STAFF_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([by_key[key] for key in permissions_for(role, by_key, grants)])


def staff_holding(permission: str, *, exclude_id: int | None = None):
    """Active staff who hold `app_label.codename` through a role or on their own, by id."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    app_label, _, codename = permission.partition(".")
    found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    if found is None:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__permissions=found) | Q(user_permissions=found))
        .exclude(pk=exclude_id)
        .distinct()
        .order_by("pk")
    )
