"""Scorecard and policy versions: drafts, checks, activation, immutability."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.utils import InternalError

from credit import services
from credit.models import (
    DecisionPolicy,
    Scorecard,
    VersionStatus,
)
from tests.credit.services.support import clean_line, reevaluate
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_an_activated_scorecard_or_policy_cannot_change(clock):
    card = Scorecard.objects.get(version=1)
    card.base_points = 1000
    with pytest.raises(ValidationError):
        card.save()
    policy = DecisionPolicy.objects.get(version=1)
    policy.keep_min_score = 0
    with pytest.raises(ValidationError):
        policy.save()
    with pytest.raises(ValidationError):
        services.policy_save_draft(policy=DecisionPolicy.objects.get(version=1))
    with pytest.raises(ValidationError):
        Scorecard.objects.get(version=1).delete()


@pytest.mark.postgres
def test_the_database_refuses_to_change_an_activated_version(clock):
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        Scorecard.objects.filter(version=1).update(base_points=1000)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        DecisionPolicy.objects.filter(version=1).update(reduce_share=Decimal("0.9"))
    assert connection.vendor == "postgresql"


def test_a_new_version_is_a_draft_copy_edited_then_activated_and_the_old_one_retires(
    clock, staff_user
):
    old = Scorecard.objects.get(version=1)
    draft = services.scorecard_copy_to_draft(source=old)
    assert (draft.version, draft.status) == (2, VersionStatus.DRAFT)
    draft.base_points = 320
    services.scorecard_save_draft(scorecard=draft)
    # Four eyes (issue 11): another supervisor asked for the activation first.
    services.scorecard_request_activation(scorecard=draft, actor=StaffFactory())
    services.scorecard_activate(scorecard=draft, actor=staff_user)
    old.refresh_from_db()
    draft.refresh_from_db()
    assert (old.status, draft.status) == (VersionStatus.RETIRED, VersionStatus.ACTIVE)
    assert draft.activated_by == staff_user
    draft.base_points = 1
    with pytest.raises(ValidationError):
        draft.save()
    with pytest.raises(ValidationError, match="only a draft"):
        services.scorecard_activate(scorecard=old, actor=staff_user)


def test_new_decisions_record_the_versions_that_made_them(clock, staff_user, sent_notices):
    policy = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    policy.keep_min_score = 900
    policy.reduce_min_score = 890
    services.policy_save_draft(policy=policy)
    services.policy_request_activation(policy=policy, actor=StaffFactory())
    services.policy_activate(policy=policy, actor=staff_user)
    decision = reevaluate(clean_line())
    assert decision.policy.version == 2 and decision.outcome == "freeze"


def test_a_draft_with_broken_rules_or_unknown_reason_codes_is_refused(clock):
    draft = services.scorecard_copy_to_draft(source=Scorecard.objects.get(version=1))
    draft.attributes = [{**draft.attributes[0], "reason_code": "no_such_code"}]
    with pytest.raises(ValidationError, match="no_such_code"):
        services.scorecard_save_draft(scorecard=draft)
    draft.attributes = [{"feature": "shoe_size", "reason_code": "x", "bins": []}]
    with pytest.raises(ValidationError, match="unknown feature"):
        services.scorecard_save_draft(scorecard=draft)
    assert Scorecard.objects.get(pk=draft.pk).attributes[0]["feature"] == "on_time_ratio_12m"


def test_activation_needs_a_second_person_and_both_are_kept(clock):
    from django.utils import translation

    with translation.override("en"):  # the refusals are matched in English
        _four_eyes()


def _four_eyes():
    maker, checker = StaffFactory(full_name="Supervisor Lin"), StaffFactory(full_name="Sup. Wu")
    draft = services.policy_copy_to_draft(source=DecisionPolicy.objects.get(version=1))
    with pytest.raises(ValidationError, match="request for activation first"):
        services.policy_activate(policy=draft, actor=checker)
    services.policy_request_activation(policy=draft, actor=maker)
    with pytest.raises(ValidationError, match="a second supervisor must approve"):
        services.policy_activate(policy=draft, actor=maker)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert DecisionPolicy.objects.get(version=1).status == VersionStatus.ACTIVE
    services.policy_activate(policy=draft, actor=checker)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.ACTIVE
    assert (draft.activation_requested_by, draft.activated_by) == (maker, checker)
    assert draft.activation_requested_at <= draft.activated_at


def test_a_broken_draft_cannot_even_be_put_forward(clock):
    draft = services.scorecard_copy_to_draft(source=Scorecard.objects.get(version=1))
    Scorecard.objects.filter(pk=draft.pk).update(attributes=[{"feature": "shoe_size"}])
    with pytest.raises(ValidationError):
        services.scorecard_request_activation(scorecard=draft, actor=StaffFactory())
    draft.refresh_from_db()
    assert draft.activation_requested_by is None
