"""What appeals teach the scorecard: a proposed draft, saved and tried in shadow.

The cases come from whoever knows the appeals (credit knows nothing of them): plain
`engine.lessons.AppealedCase` values. Nothing here activates anything: the drafts wait for the
usual request and a second supervisor's approval (`rule_versions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audited, selectors
from ..engine import lessons
from ..models import DecisionPolicy, Scorecard, ShadowRun
from .rule_versions import policy_save_draft, scorecard_save_draft
from .shadow import shadow_save_draft, shadow_start


@dataclass(frozen=True)
class LessonDraft:
    proposal: lessons.Proposal
    run: ShadowRun
    scorecard: Scorecard  # the new draft, or the active card when no bin moved
    policy: DecisionPolicy  # the new draft, or the active policy when no threshold moved


def lessons_proposal(cases: Sequence[lessons.AppealedCase]) -> lessons.Proposal | None:
    """What the appeals would move on the active scorecard and policy (None: nothing active)."""
    try:
        active = selectors.active_rules()
    except selectors.NoActiveRules:
        return None
    return lessons.propose(
        card=active.card_rules,
        attributes_json=active.scorecard.attributes,
        policy=active.policy_rules,
        cases=cases,
    )


def _moves_note(proposal: lessons.Proposal) -> str:
    lines = ["Proposed from appealed decisions that people overturned:"]
    for move in proposal.moves:
        what = f"bin “{move.label}” of {move.name}" if move.kind == "bin" else move.name
        lines.append(
            f"- {what}: {move.old} → {move.new} "
            f"({move.tally.overturned} overturned, {move.tally.upheld} upheld)"
        )
    return "\n".join(lines)


@transaction.atomic
def lessons_draft_and_shadow(
    *, cases: Sequence[lessons.AppealedCase], actor, name: str = ""
) -> LessonDraft:
    """Save the proposal as draft versions (a scorecard when bins move, a policy when
    thresholds move; the active one stands in for the other side) and start a shadow run of
    them against every line, so the team sees how many decisions it would change.

    Rules: an active scorecard and policy are needed; a proposal that moves nothing is refused
    (and saves nothing). The drafts are never activated here.
    """
    if actor is None:
        raise ValidationError(_("A proposal is made by a person."))
    try:
        active = selectors.active_rules()
    except selectors.NoActiveRules as exc:
        raise ValidationError(_("There is no active scorecard and policy to improve.")) from exc
    card, policy = active.scorecard, active.policy
    proposal = lessons.propose(
        card=active.card_rules,
        attributes_json=card.attributes,
        policy=active.policy_rules,
        cases=cases,
    )
    if not proposal.moves:
        raise ValidationError(
            _("The appeals decided so far point at no bin or threshold to move: nothing to try.")
        )
    note = _moves_note(proposal)
    tried_card, tried_policy = card, policy
    if proposal.moves_bins:
        tried_card = scorecard_save_draft(
            scorecard=Scorecard(
                base_points=card.base_points,
                attributes=proposal.attributes,
                notes=f"Draft from appeals, based on v{card.version}.\n{note}",
            )
        )
        audited.rule_version_act(tried_card, "drafted from appeals", actor=actor)
    if proposal.moves_thresholds:
        values = {**policy.rule_values(), **proposal.thresholds}
        tried_policy = policy_save_draft(
            policy=DecisionPolicy(
                notes=f"Draft from appeals, based on v{policy.version}.\n{note}", **values
            )
        )
        audited.rule_version_act(tried_policy, "drafted from appeals", actor=actor)
    run = shadow_save_draft(
        run=ShadowRun(
            name=name
            or f"What appeals teach: scorecard v{tried_card.version}, "
            f"policy v{tried_policy.version}",
            scorecard=tried_card,
            policy=tried_policy,
            note=note,
        ),
        actor=actor,
    )
    shadow_start(run=run, actor=actor)
    run.refresh_from_db()
    return LessonDraft(proposal=proposal, run=run, scorecard=tried_card, policy=tried_policy)
