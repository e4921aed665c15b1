import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import roles
from accounts.models import User
from config.discovery import project_app_modules

pytestmark = pytest.mark.django_db


def test_every_staff_role_exists_as_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.STAFF_ROLES)


def test_auditor_reads_everything_and_changes_nothing():
    perms = set(
        Group.objects.get(name=roles.AUDITOR).permissions.values_list("codename", flat=True)
    )
    assert "view_user" in perms
    # besides reading: exports and reveals, each audited, none changing a record
    beyond = {"export_appeal", "export_creditdecision", "export_auditentry"}
    beyond.add("reveal_personal_data")
    assert all(p.startswith("view_") for p in perms - beyond)


def test_seed_demo_is_idempotent_and_has_everyone(capsys):
    call_command("seed_demo")
    first = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == first
    out = capsys.readouterr().out
    assert "li.wei@demo.recourse" in out
    for role in roles.STAFF_ROLES:
        assert User.objects.filter(groups__name=role, is_staff=True).exists()
    assert User.objects.filter(is_staff=False, customer_id__isnull=False).count() >= 5
    # Only the one demo borrower meant to meet the consent page has a policy left to accept,
    # whichever app's demo created the borrower.
    from accounts import consent
    from accounts.demo import GATED_BORROWER

    in_force = {v.pk for v in consent.current_versions()}
    gated = [
        person.email
        for person in User.objects.filter(is_staff=False, is_active=True)
        if in_force - set(person.acceptances.values_list("policy_version", flat=True))
    ]
    assert gated == [GATED_BORROWER]


def test_seed_demo_refuses_production(settings):
    settings.ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_finds_each_apps_demo_in_dependency_order():
    # INSTALLED_APPS order: an app seeds after the apps it builds on.
    found = [module.__name__ for _, module in project_app_modules("demo")]

    assert found == [
        "accounts.demo",
        "notifications.demo",
        "credit.demo",
        "appeals.demo",
        "webhooks.demo",  # last: it gives its endpoint what the others' decisions sent
    ]
