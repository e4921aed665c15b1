"""Every admin page and action × every role → allowed or refused, as DESIGN says.

Generated from `admin.site._registry`: a model registered in the admin without a row in
`PAGES` fails `test_every_admin_page_has_a_rule`, so a new page has to say who may use it.
Roles (DESIGN, "accounts"): an agent works assigned appeals; a reviewer also decides them; a
supervisor reassigns, decides second reviews, runs campaigns and corrections, edits reason codes
and rule drafts, manages webhooks and tokens; a compliance auditor reads everything a case
needs and changes nothing. Supervisors and auditors read (and export) the audit trail and may
reveal one person's contact details with a reason. Operations tables (sign-in attempts,
groups) are for administrators (superusers) only: none of the four roles; queued work is read by
supervisors and the auditor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.roles import AGENT, AUDITOR, REVIEWER, SUPERVISOR
from appeals import services as appeal_services
from tests.appeals import factories as f
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

A, R, S, C = AGENT, REVIEWER, SUPERVISOR, AUDITOR
ALL = frozenset({A, R, S, C})
SC = frozenset({S, C})
NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Page:
    view: frozenset[str]
    add: frozenset[str] = NONE
    change: frozenset[str] = NONE
    delete: frozenset[str] = NONE
    actions: dict[str, frozenset[str]] = field(default_factory=dict)
    own_only: bool = False  # each sees only their own rows: another's answers "not found"


ONLY_S = frozenset({S})
PAGES: dict[str, Page] = {
    "accounts.user": Page(view=ALL),
    "accounts.apitoken": Page(view=SC, change=ONLY_S, actions={"revoke_tokens": ONLY_S}),
    # issue 14: a supervisor places and lifts legal holds (audited); the auditor reads them
    "accounts.legalhold": Page(view=SC, add=ONLY_S, change=ONLY_S, actions={"lift_holds": ONLY_S}),
    # issue 14: supervisors write and publish policy versions; everyone reads them (to answer
    # borrowers); who accepted what is for supervisors and the auditor; no one deletes either
    "accounts.policyversion": Page(
        view=ALL, add=ONLY_S, change=ONLY_S, actions={"publish": ONLY_S}
    ),
    "accounts.policyacceptance": Page(view=SC),
    "appeals.appeal": Page(view=ALL, actions={"reassign_selected": ONLY_S}),
    "appeals.agentavailability": Page(
        view=ALL, add=ONLY_S, change=ONLY_S, actions={"mark_away": ONLY_S, "mark_back": ONLY_S}
    ),
    "appeals.appealassignment": Page(view=ALL),
    "appeals.appealextension": Page(view=ALL),
    "appeals.calendarday": Page(view=ALL, add=ONLY_S, change=ONLY_S, delete=ONLY_S),
    "appeals.cannedresponse": Page(view=ALL, add=ONLY_S, change=ONLY_S, delete=ONLY_S),
    "appeals.slabreach": Page(view=ALL),
    "appeals.survey": Page(view=ALL),
    # issue 14: the morning appeals report, for supervisors and the auditor
    "appeals.appealreportpage": Page(view=SC),
    # issue 10: agents, reviewers and supervisors answer and close support requests
    "appeals.supportrequest": Page(
        view=ALL, change=frozenset({A, R, S}), actions={"close_selected": frozenset({A, R, S})}
    ),
    "audit.auditentry": Page(view=SC),
    "credit.creditdecision": Page(view=ALL),
    "credit.creditevent": Page(view=ALL),
    "credit.creditline": Page(
        view=ALL,
        actions={
            "reevaluate": ONLY_S,
            # issue 12: the staff flag that puts a line in the key-customer segment
            "mark_key_customer": ONLY_S,
            "unmark_key_customer": ONLY_S,
        },
    ),
    "credit.reasoncode": Page(view=ALL, add=ONLY_S, change=ONLY_S),
    "credit.scorecard": Page(
        view=SC,
        add=ONLY_S,
        change=ONLY_S,
        actions={
            "request_activation": ONLY_S,
            "activate": ONLY_S,
            "copy_to_draft": ONLY_S,
            "compare": SC,
        },
    ),
    "credit.decisionpolicy": Page(
        view=SC,
        add=ONLY_S,
        change=ONLY_S,
        actions={
            "request_activation": ONLY_S,
            "activate": ONLY_S,
            "copy_to_draft": ONLY_S,
            "compare": SC,
        },
    ),
    "credit.policycampaign": Page(view=ALL, add=ONLY_S, change=ONLY_S),
    "credit.systemcorrection": Page(view=ALL, add=ONLY_S, change=ONLY_S),
    # issue 12: staged decisions are read by all; their acts are POST buttons checked per
    # permission (reviewers and supervisors decide reviews, supervisors release held batches)
    "credit.decisionreview": Page(view=ALL),
    "credit.evaluationbatch": Page(view=ALL),
    "credit.shadowrun": Page(view=SC, add=ONLY_S, change=ONLY_S),
    "credit.monitoringday": Page(view=SC),
    "credit.monitoringalert": Page(view=SC),
    "notifications.notification": Page(view=ALL, actions={"resend": ONLY_S, "cancel": ONLY_S}),
    "notifications.staffmessage": Page(view=ALL, own_only=True),
    "webhooks.webhookendpoint": Page(
        view=SC,
        add=ONLY_S,
        change=ONLY_S,
        actions={"rotate_secret": ONLY_S, "enable": ONLY_S, "replay_time_range": ONLY_S},
    ),
    "webhooks.webhookmessage": Page(view=SC, actions={"replay_to_all": ONLY_S}),
    "webhooks.webhookdelivery": Page(view=SC, change=ONLY_S, actions={"replay": ONLY_S}),
    # administrators only
    "auth.group": Page(view=NONE),
    "axes.accessattempt": Page(view=NONE),
    "axes.accessfailurelog": Page(view=NONE),
    "axes.accesslog": Page(view=NONE),
    # issue 15: queued work is read by supervisors and the auditor (the runbook's first look)
    "jobs.queuedjob": Page(view=SC),
}

# The admin's own pages beyond the model pages: (url name, args from the world) -> who may.
EXTRA_PAGES = {
    "admin:audit_auditentry_export": SC,
    "admin:accounts_user_reveal": SC,
    "admin:appeals_appeal_export": frozenset({C}),
    "admin:credit_creditdecision_export": frozenset({C}),
}

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def test_every_admin_page_has_a_rule():
    registered = {model._meta.label_lower for model, _ in REGISTRY}
    assert registered - PAGES.keys() == set(), "admin pages without a rule in this file"
    assert PAGES.keys() - registered == set(), "rules for pages no longer registered"


@pytest.fixture
def world():
    appeal = f.in_review_appeal()
    appeal_services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="仍有多头借贷。")
    staff = {role: f.staff(role) for role in (A, R, S, C)}
    return {"appeal": appeal, "staff": staff, "borrower": appeal.borrower}


def _callers(world):
    yield "anonymous", Client(), None
    borrower = Client()
    borrower.force_login(BorrowerFactory())
    yield "borrower", borrower, None
    for role, user in world["staff"].items():
        client = Client()
        client.force_login(user)
        yield role, client, user


def _may(role: str, allowed: frozenset[str]) -> bool:
    return role in allowed


def test_each_role_reaches_exactly_the_admin_pages_design_gives_it(world):
    wrong = []
    for caller, client, _user in _callers(world):
        for model, _ in REGISTRY:
            label = model._meta.label_lower
            rule = PAGES[label]
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            pages = [("changelist", reverse(f"{prefix}_changelist"), rule.view)]
            pages.append(("add", reverse(f"{prefix}_add"), rule.add))
            obj = model._default_manager.order_by("pk").first()
            if obj is not None:
                url = reverse(f"{prefix}_change", args=[obj.pk])
                pages.append(("change view", url, rule.view | rule.change))
            for what, url, allowed in pages:
                status = client.get(url).status_code
                if caller in ("anonymous", "borrower"):
                    ok = status in (302, 403)
                elif rule.own_only and what == "change view":
                    ok = status in (302, 403)  # the first row is someone else's
                elif _may(caller, allowed):
                    ok = status == 200
                else:
                    ok = status in (403, 302)  # 302: an add page the admin turns away
                if not ok:
                    wrong.append(f"{caller}: {what} of {label} answered {status}")
        appeal, person = world["appeal"], world["borrower"]
        for name, allowed in EXTRA_PAGES.items():
            args = [person.pk] if name.endswith("reveal") else []
            status = client.get(reverse(name, args=args)).status_code
            if caller in ("anonymous", "borrower"):
                ok = status in (302, 403)
            else:
                ok = status == (200 if _may(caller, allowed) else 403)
            if not ok:
                wrong.append(f"{caller}: {name} answered {status}")
        assert appeal  # the case page is the appeal's change view, checked above
    assert not wrong, "\n".join(wrong)


def test_each_role_may_change_delete_and_act_exactly_as_design_says(world):
    factory = RequestFactory()
    wrong = []
    for role, user in world["staff"].items():
        request = factory.get("/admin/")
        request.user = user
        for model, model_admin in REGISTRY:
            label = model._meta.label_lower
            rule = PAGES[label]
            obj = model._default_manager.order_by("pk").first()
            checks = {
                "add": (model_admin.has_add_permission(request), rule.add),
                "change": (model_admin.has_change_permission(request, obj), rule.change),
                "delete": (model_admin.has_delete_permission(request, obj), rule.delete),
            }
            if label in ("credit.scorecard", "credit.decisionpolicy"):
                # the first one is activated, frozen for everyone; the rule is about drafts
                checks.pop("change")
            for what, (has, allowed) in checks.items():
                if bool(has) != (role in allowed):
                    wrong.append(f"{role}: {what} {label} is {bool(has)}")
            offered = set()
            if model_admin.has_view_or_change_permission(request):  # else the page is refused
                offered = set(model_admin.get_actions(request)) - {"delete_selected"}
            for action in set(rule.actions) | offered:
                expected = role in rule.actions.get(action, NONE)
                if (action in offered) != expected:
                    wrong.append(f"{role}: action {action} on {label} offered={action in offered}")
    assert not wrong, "\n".join(wrong)
