"""The staff groups hold exactly the permissions they held before each app declared its own.

The table below is the one `accounts/roles.py` kept before the grants moved into each app's
`roles.py`; the groups synced from the apps' declarations must still match it.
"""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured

from accounts import roles

pytestmark = pytest.mark.django_db

# role -> every "app_label.codename" its group held before the move.
TABLE_BEFORE_THE_MOVE = {
    roles.AGENT: {
        "accounts.view_user",
        "appeals.request_info",
        "appeals.view_agentavailability",
        "appeals.view_appeal",
        "appeals.view_appealassignment",
        "appeals.view_appealextension",
        "appeals.view_appealtransition",
        "appeals.view_calendarday",
        "appeals.view_cannedresponse",
        "appeals.view_evidence",
        "appeals.view_message",
        "appeals.view_slabreach",
        "appeals.view_survey",
        "appeals.work_appeal",
        "credit.view_closuredeferral",
        "credit.view_creditdecision",
        "credit.view_creditevent",
        "credit.view_creditline",
        "credit.view_decisionreason",
        "credit.view_reasoncode",
        "notifications.view_deliveryattempt",
        "notifications.view_notification",
        "notifications.view_staffmessage",
    },
    roles.REVIEWER: {
        "accounts.view_user",
        "appeals.decide_appeal",
        "appeals.extend_appeal",
        "appeals.request_info",
        "appeals.view_agentavailability",
        "appeals.view_appeal",
        "appeals.view_appealassignment",
        "appeals.view_appealextension",
        "appeals.view_appealtransition",
        "appeals.view_calendarday",
        "appeals.view_cannedresponse",
        "appeals.view_evidence",
        "appeals.view_message",
        "appeals.view_slabreach",
        "appeals.view_survey",
        "appeals.work_appeal",
        "credit.view_closuredeferral",
        "credit.view_creditdecision",
        "credit.view_creditevent",
        "credit.view_creditline",
        "credit.view_decisionreason",
        "credit.view_reasoncode",
        "notifications.view_deliveryattempt",
        "notifications.view_notification",
        "notifications.view_staffmessage",
    },
    roles.SUPERVISOR: {
        "accounts.change_apitoken",
        "accounts.view_apitoken",
        "accounts.view_user",
        "appeals.add_calendarday",
        "appeals.add_cannedresponse",
        "appeals.approve_further_extension",
        "appeals.change_calendarday",
        "appeals.change_cannedresponse",
        "appeals.decide_appeal",
        "appeals.decide_second_review",
        "appeals.delete_calendarday",
        "appeals.delete_cannedresponse",
        "appeals.extend_appeal",
        "appeals.reassign_appeal",
        "appeals.request_info",
        "appeals.set_agent_away",
        "appeals.view_agentavailability",
        "appeals.view_appeal",
        "appeals.view_appealassignment",
        "appeals.view_appealextension",
        "appeals.view_appealtransition",
        "appeals.view_calendarday",
        "appeals.view_cannedresponse",
        "appeals.view_evidence",
        "appeals.view_message",
        "appeals.view_slabreach",
        "appeals.view_survey",
        "appeals.work_appeal",
        "credit.add_decisionpolicy",
        "credit.add_reasoncode",
        "credit.add_scorecard",
        "credit.change_decisionpolicy",
        "credit.change_reasoncode",
        "credit.change_scorecard",
        "credit.reevaluate_creditline",
        "credit.view_closuredeferral",
        "credit.view_creditdecision",
        "credit.view_creditevent",
        "credit.view_creditline",
        "credit.view_decisionpolicy",
        "credit.view_decisionreason",
        "credit.view_reasoncode",
        "credit.view_scorecard",
        "notifications.cancel_notification",
        "notifications.resend_notification",
        "notifications.view_deliveryattempt",
        "notifications.view_notification",
        "notifications.view_staffmessage",
    },
    roles.AUDITOR: {
        "accounts.view_apitoken",
        "accounts.view_user",
        "appeals.view_agentavailability",
        "appeals.view_appeal",
        "appeals.view_appealassignment",
        "appeals.view_appealextension",
        "appeals.view_appealtransition",
        "appeals.view_calendarday",
        "appeals.view_cannedresponse",
        "appeals.view_evidence",
        "appeals.view_message",
        "appeals.view_slabreach",
        "appeals.view_survey",
        "credit.view_closuredeferral",
        "credit.view_creditdecision",
        "credit.view_creditevent",
        "credit.view_creditline",
        "credit.view_decisionpolicy",
        "credit.view_decisionreason",
        "credit.view_reasoncode",
        "credit.view_scorecard",
        "notifications.view_deliveryattempt",
        "notifications.view_notification",
        "notifications.view_preference",
        "notifications.view_staffmessage",
    },
}
# role -> what later issues granted on top of the table (each line says which issue).
GRANTED_SINCE = {
    roles.AGENT: {
        "credit.view_policycampaign",  # issue 12: staff read campaigns and corrections
        "credit.view_systemcorrection",
        "credit.view_evaluationbatch",  # issue 12: and staged decisions
        "credit.view_helddecision",
        "credit.view_decisionreview",
        # issue 10: staff read and answer borrowers' support requests
        "appeals.view_supportrequest",
        "appeals.view_supportmessage",
        "appeals.answer_supportrequest",
        # issue 14: every role reads the policy documents borrowers accept
        "accounts.view_policyversion",
        # the line's admin page lists its scheduled re-evaluations
        "credit.view_linerecheck",
    },
    roles.REVIEWER: {
        "credit.view_policycampaign",  # issue 12
        "credit.view_systemcorrection",
        "credit.view_evaluationbatch",
        "credit.view_helddecision",
        "credit.view_decisionreview",
        "credit.decide_decisionreview",  # issue 12: reviewers confirm or override key customers
        # issue 10: staff read and answer borrowers' support requests
        "appeals.view_supportrequest",
        "appeals.view_supportmessage",
        "appeals.answer_supportrequest",
        # issue 14: every role reads the policy documents borrowers accept
        "accounts.view_policyversion",
        # the line's admin page lists its scheduled re-evaluations
        "credit.view_linerecheck",
    },
    roles.SUPERVISOR: {
        "credit.view_linerecheck",  # the line's admin page lists its scheduled re-evaluations
        # issue 14: supervisors place and lift legal holds (audited); retention skips the person
        "accounts.view_legalhold",
        "accounts.add_legalhold",
        "accounts.change_legalhold",
        # issue 13: supervisors manage the lender's webhook endpoints
        "webhooks.add_webhookendpoint",
        "webhooks.change_webhookdelivery",
        "webhooks.change_webhookendpoint",
        "webhooks.view_webhookattempt",
        "webhooks.view_webhookdelivery",
        "webhooks.view_webhookendpoint",
        "webhooks.view_webhookmessage",
        # issue 12: supervisors run campaigns and corrections, and decide a line by hand
        "credit.view_policycampaign",
        "credit.add_policycampaign",
        "credit.change_policycampaign",
        "credit.run_policycampaign",
        "credit.view_systemcorrection",
        "credit.add_systemcorrection",
        "credit.change_systemcorrection",
        "credit.run_systemcorrection",
        "credit.decide_creditline",
        # issue 12: key-customer reviews and batches held by the circuit breaker
        "credit.view_evaluationbatch",
        "credit.view_helddecision",
        "credit.view_decisionreview",
        "credit.decide_decisionreview",
        "credit.review_evaluationbatch",
        # issue 14: supervisors read and export the audit trail, and reveal one person's
        # contact details with a reason (audited)
        "audit.view_auditentry",
        "audit.export_auditentry",
        "accounts.reveal_personal_data",
        # issue 10: staff read and answer borrowers' support requests
        "appeals.view_supportrequest",
        "appeals.view_supportmessage",
        "appeals.answer_supportrequest",
        # issue 12: shadow runs of draft versions, and the daily monitoring figures
        "credit.view_shadowrun",
        "credit.add_shadowrun",
        "credit.change_shadowrun",
        "credit.run_shadowrun",
        "credit.view_monitoringday",
        "credit.view_monitoringalert",
        # issue 14: the morning appeals report (the auditor reads it through appeals.view_*)
        "appeals.view_appealreportpage",
        # issue 15: queued work (the jobs outbox), read-only
        "jobs.view_queuedjob",
        # issue 17: the risk team sees what appeals teach the scorecard
        "appeals.view_lessons",
        # issue 14: supervisors write and publish policy versions and read who accepted them
        "accounts.view_policyversion",
        "accounts.add_policyversion",
        "accounts.change_policyversion",
        "accounts.publish_policyversion",
        "accounts.view_policyacceptance",
    },
}

# issue 14: besides reading every model, the auditor exports appeals, decisions and the audit
# trail (each export audited) and reveals one person's contact details with a reason. None of
# these changes anything the borrower or the lender sees.
AUDITOR_BEYOND_READING = {
    "appeals.export_appeal",
    "credit.export_creditdecision",
    "audit.export_auditentry",
    "accounts.reveal_personal_data",
}

PROJECT_APPS = ("jobs", "audit", "accounts", "credit", "appeals", "notifications", "webhooks")


def _group_permissions(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


@pytest.mark.parametrize("role", [roles.AGENT, roles.REVIEWER, roles.SUPERVISOR])
def test_each_working_role_holds_exactly_the_table(role):
    roles.sync_staff_groups()

    assert _group_permissions(role) == TABLE_BEFORE_THE_MOVE[role] | GRANTED_SINCE[role]


@pytest.mark.parametrize("role", [roles.AGENT, roles.REVIEWER, roles.SUPERVISOR])
def test_the_groups_the_migrations_made_hold_exactly_the_table(role):
    # No sync here: these are the groups `migrate` left in the test database.
    assert _group_permissions(role) == TABLE_BEFORE_THE_MOVE[role] | GRANTED_SINCE[role]


def test_each_app_declares_its_own_grants_and_accounts_names_no_other_app():
    declared = {module.__name__ for _, module in roles.project_app_modules("roles")}
    assert declared == {
        "jobs.roles",
        "audit.roles",
        "accounts.roles",
        "notifications.roles",
        "credit.roles",
        "appeals.roles",
        "webhooks.roles",
    }
    for role, names in roles.GRANTS.items():
        assert all(name.startswith("accounts.") for name in names), role


def _declaring(monkeypatch, label: str, grants: dict) -> None:
    config = apps.get_app_config(label)
    module = SimpleNamespace(__name__=f"{label}.roles", GRANTS=grants)
    monkeypatch.setattr(roles, "project_app_modules", lambda name: [(config, module)])


def test_an_app_cannot_grant_another_apps_permission(monkeypatch):
    _declaring(monkeypatch, "credit", {roles.AGENT: ("appeals.decide_appeal",)})

    with pytest.raises(ImproperlyConfigured, match="appeals.decide_appeal"):
        roles.sync_staff_groups()


def test_an_app_cannot_grant_to_a_role_that_does_not_exist(monkeypatch):
    _declaring(monkeypatch, "credit", {"janitor": ("credit.view_creditline",)})

    with pytest.raises(ImproperlyConfigured, match="janitor"):
        roles.sync_staff_groups()


def test_the_auditor_reads_every_model_of_the_project_apps_and_nothing_more():
    roles.sync_staff_groups()

    every_view = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=PROJECT_APPS, codename__startswith="view_"
        )
    }
    held = _group_permissions(roles.AUDITOR)
    assert held == every_view | AUDITOR_BEYOND_READING
    assert held >= TABLE_BEFORE_THE_MOVE[roles.AUDITOR]
