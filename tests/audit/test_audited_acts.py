"""Every audited act writes exactly one entry of its kind, naming who did it and to what,
in the act's own transaction (a refused act leaves none)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.privacy import personal_data_reveal
from appeals import services as appeal_services
from audit.exports import audited_csv_response
from audit.models import AuditEntry
from credit import services as credit_services
from credit.models import DecisionPolicy, PolicyCampaign, ReasonCode, SystemCorrection
from tests.appeals import factories as f
from tests.credit.conftest import NOW
from tests.credit.factories import make_line, multi_lending
from tests.credit.services.support import clean_line, reevaluate
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db


@dataclass
class Act:
    """`prepare()` sets the scene (its own acts are audited too) and returns `do`, the act
    under test, which returns (the actor expected on the entry, the object it names)."""

    kind: str
    prepare: Callable[[], Callable[[], tuple]]
    frozen: bool = False  # credit's scenarios run at its fixed NOW


def _scorecard_decision():
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    return lambda: (None, reevaluate(line))


def _staff_decision():
    line, supervisor = make_line(), f.supervisor()

    def do():
        decision = credit_services.credit_line_decide(
            line=line,
            outcome="freeze",
            trigger="staff",
            reason_codes=["policy_adjustment"],
            actor=supervisor,
        )
        return supervisor, decision

    return do


def _campaign(supervisor):
    make_line().__class__.objects.update(opened_at=NOW - timedelta(days=400))
    return credit_services.campaign_save_draft(
        campaign=PolicyCampaign(
            name="Pause dormant lines",
            action="freeze",
            reason_code=ReasonCode.objects.get(code="policy_adjustment"),
            notice_days=30,
        ),
        actor=supervisor,
    )


def _campaign_start():
    supervisor = f.supervisor()
    campaign = _campaign(supervisor)
    return lambda: (
        supervisor,
        credit_services.campaign_start(campaign=campaign, actor=supervisor) and campaign,
    )


def _campaign_cancel():
    supervisor = f.supervisor()
    campaign = _campaign(supervisor)
    credit_services.campaign_start(campaign=campaign, actor=supervisor)
    return lambda: (
        supervisor,
        credit_services.campaign_cancel(campaign=campaign, actor=supervisor),
    )


def _correction_start():
    supervisor = f.supervisor()
    line = clean_line()
    multi_lending(line, start=NOW - timedelta(days=10))
    reevaluate(line)
    correction = credit_services.correction_save_draft(
        correction=SystemCorrection(
            name="Faulty policy v1 run",
            decided_from=NOW - timedelta(hours=1),
            decided_to=NOW + timedelta(hours=1),
            policy=DecisionPolicy.objects.get(version=1),
        ),
        actor=supervisor,
    )
    return lambda: (
        supervisor,
        credit_services.correction_start(correction=correction, actor=supervisor) and correction,
    )


def _activation_request():
    maker = f.supervisor()
    draft = credit_services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    return lambda: (maker, credit_services.policy_request_activation(policy=draft, actor=maker))


def _activation():
    maker, checker = f.supervisor(), f.supervisor()
    draft = credit_services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    credit_services.policy_request_activation(policy=draft, actor=maker)
    return lambda: (checker, credit_services.policy_activate(policy=draft, actor=checker))


def _appeal_submit():
    appeal = f.draft_appeal()
    return lambda: (
        appeal.borrower,
        appeal_services.appeal_submit(appeal=appeal, actor=appeal.borrower),
    )


def _appeal_deny():
    appeal, reviewer = f.in_review_appeal(), f.reviewer()
    return lambda: (
        reviewer,
        appeal_services.appeal_deny(appeal=appeal, actor=reviewer, explanation="多头借贷仍在。"),
    )


def _appeal_reassign():
    appeal = f.in_review_appeal()
    second, supervisor = f.agent(), f.supervisor()
    return lambda: (
        supervisor,
        appeal_services.appeal_reassign(
            appeal=appeal, assignee=second, actor=supervisor, reason="休假"
        ),
    )


def _appeal_extend():
    appeal, reviewer = f.in_review_appeal(), f.reviewer()
    return lambda: (
        reviewer,
        appeal_services.appeal_extend(appeal=appeal, actor=reviewer, reason="需要核实"),
    )


def _reveal():
    person, supervisor = BorrowerFactory(), f.supervisor()

    def do():
        personal_data_reveal(person=person, actor=supervisor, reason="Borrower called, verify")
        return supervisor, person

    return do


def _export():
    auditor = f.auditor()

    def do():
        audited_csv_response(
            actor=auditor, what="test", filename="t", header=["a"], rows=[], row_count=0
        )
        return auditor, None

    return do


def _policy_draft(version="2026-11"):
    from django.utils import timezone

    from accounts.models import PolicyVersion
    from accounts.services import policy_version_save_draft

    return policy_version_save_draft(
        version=PolicyVersion(
            document="privacy_policy",
            version=version,
            title_zh="隐私政策",
            title_en="Privacy policy",
            body_zh="正文",
            body_en="Text",
            effective_on=timezone.localdate(),
        )
    )


def _policy_publish():
    from accounts.services import policy_version_publish

    draft, supervisor = _policy_draft(), f.supervisor()
    return lambda: (supervisor, policy_version_publish(version=draft, actor=supervisor))


def _policy_accept():
    from accounts.services import policies_accept, policy_version_publish

    version = policy_version_publish(version=_policy_draft(), actor=f.supervisor())
    borrower = BorrowerFactory()

    def do():
        (acceptance,) = policies_accept(user=borrower, version_ids=[version.pk])
        return borrower, acceptance

    return do


ACTS = {
    "scorecard decision": Act("credit.decision", _scorecard_decision, frozen=True),
    "staff decision": Act("credit.decision", _staff_decision, frozen=True),
    "campaign start": Act("credit.campaign", _campaign_start, frozen=True),
    "campaign cancel": Act("credit.campaign", _campaign_cancel, frozen=True),
    "correction start": Act("credit.correction", _correction_start, frozen=True),
    "activation request": Act("credit.rule_version", _activation_request, frozen=True),
    "rule version activation": Act("credit.rule_version", _activation, frozen=True),
    "appeal submitted": Act("appeal.transition", _appeal_submit),
    "appeal denied": Act("appeal.transition", _appeal_deny),
    "appeal reassigned": Act("appeal.assignment", _appeal_reassign),
    "appeal extended": Act("appeal.extension", _appeal_extend),
    "personal data revealed": Act("accounts.personal_data", _reveal),
    "export": Act("audit.exported", _export),
    "policy version published": Act("accounts.policy_published", _policy_publish),
    "policy accepted": Act("accounts.consent", _policy_accept),
}


@pytest.mark.parametrize("name", ACTS)
def test_each_audited_act_writes_exactly_one_entry(name, request):
    act = ACTS[name]
    if act.frozen:
        request.getfixturevalue("clock")
    do = act.prepare()
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    actor, obj = do()

    new = list(AuditEntry.objects.filter(id__gt=last, kind=act.kind))
    assert len(new) == 1, [(e.kind, e.summary) for e in new]
    entry = new[0]
    assert entry.actor_id == (actor.pk if actor else None)
    if obj is not None:
        assert (entry.object_type, entry.object_id) == (
            f"{obj._meta.app_label}.{obj._meta.model_name}",
            str(obj.pk),
        )


def test_a_refused_act_leaves_no_entry():
    person, supervisor = BorrowerFactory(), f.supervisor()
    with pytest.raises(ValidationError):
        personal_data_reveal(person=person, actor=supervisor, reason="why")
    appeal = f.in_review_appeal()
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError), transaction.atomic():
        appeal_services.appeal_extend(appeal=appeal, actor=f.reviewer(), reason="  ")
    assert AuditEntry.objects.count() == before
    assert not AuditEntry.objects.filter(kind="accounts.personal_data").exists()


def test_entries_carry_no_contact_details():
    appeal = f.in_review_appeal()
    appeal_services.appeal_deny(appeal=appeal, actor=f.reviewer(), explanation="仍有多头借贷。")
    borrower = appeal.borrower
    for entry in AuditEntry.objects.all():
        text = f"{entry.object_label} {entry.summary} {entry.details} {entry.actor_label}"
        assert borrower.email not in text
        assert str(borrower.phone or "no phone") not in text
