"""Counterfactuals stored with each adverse decision, and the scheduled re-evaluation of a line
on the day its decision said it would pass again by time alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import engine, selectors
from ..engine import counterfactuals as engine_counterfactuals
from ..models import ADVERSE_OUTCOMES, CreditDecision, DecisionTrigger, LineRecheck

RECHECK_CHUNK = 500


def counterfactuals_enabled() -> bool:
    """On unless switched off (the benchmark times the nightly pass with and without)."""
    return bool(getattr(settings, "CREDIT_COUNTERFACTUALS", True))


def decision_counterfactuals(
    *,
    verdict: engine.Verdict,
    facts: engine.LineFacts,
    rules: selectors.ActiveRules,
    as_of: datetime,
) -> list[dict]:
    """What would change the engine's adverse verdict, in the JSON form a decision stores."""
    found = engine_counterfactuals.counterfactuals(
        rules.policy_rules, rules.card_rules, facts, as_of=as_of, verdict=verdict
    )
    return [item.as_dict() for item in found]


def campaign_counterfactuals(*, reason_codes: Sequence[str], ends_on) -> list[dict]:
    """A campaign's decision: nothing the borrower does changes it, its end date does."""
    return [engine_counterfactuals.campaign_counterfactual(reason_codes, ends_on).as_dict()]


def regulatory_counterfactuals(*, reason_codes: Sequence[str]) -> list[dict]:
    """A regulation applied by a person: no action of the borrower's changes it."""
    return [engine_counterfactuals.regulatory_counterfactual(reason_codes).as_dict()]


def rechecks_schedule(decisions: Sequence[CreditDecision]) -> None:
    """Called with every batch of written decisions (in their transaction): an adverse
    decision with a "by time alone" date schedules its line's re-evaluation on that day,
    replacing any pending one; any other decision on a line calls its pending one off."""
    if not decisions:
        return
    LineRecheck.objects.filter(
        line_id__in={d.line_id for d in decisions}, ran_at__isnull=True
    ).delete()
    latest: dict[int, CreditDecision] = {}
    for decision in decisions:
        latest[decision.line_id] = decision
    LineRecheck.objects.bulk_create(
        [
            LineRecheck(line_id=d.line_id, decision=d, due_on=on)
            for d in latest.values()
            if d.outcome in ADVERSE_OUTCOMES
            and (on := engine_counterfactuals.time_alone_date(d.counterfactuals)) is not None
        ]
    )


@dataclass
class RecheckSummary:
    ran: int = 0
    changed: int = 0
    outcomes: dict = field(default_factory=dict)


def rechecks_run_due(*, now: datetime | None = None) -> RecheckSummary:
    """Evaluate again each line whose re-evaluation day has come (the lender's calendar), once:
    the row is marked run before the evaluation, in the same transaction, so a second run the
    same day finds nothing. When the outcome changes, the decision written tells the borrower
    (its notice, sent once per decision); when it does not, nothing is sent."""
    from .reevaluation import credit_lines_reevaluate  # reevaluation writes through here

    now = now or timezone.now()
    today = timezone.localdate(now, engine_counterfactuals.LENDER_TZ)
    summary = RecheckSummary()
    while True:
        with transaction.atomic():
            due = list(
                LineRecheck.objects.select_for_update(skip_locked=True)
                .filter(ran_at__isnull=True, due_on__lte=today)
                .order_by("due_on", "id")[:RECHECK_CHUNK]
            )
            if not due:
                return summary
            ids = [r.pk for r in due]
            LineRecheck.objects.filter(pk__in=ids).update(ran_at=now)
            result = credit_lines_reevaluate(
                line_ids=[r.line_id for r in due], trigger=DecisionTrigger.PERIODIC, now=now
            )
            changed = {d.line_id: d.outcome for d in result.decisions}
            for recheck in due:
                if recheck.line_id in changed:
                    LineRecheck.objects.filter(pk=recheck.pk).update(
                        outcome=changed[recheck.line_id]
                    )
            summary.ran += len(due)
            summary.changed += len(changed)
            for outcome in changed.values():
                summary.outcomes[outcome] = summary.outcomes.get(outcome, 0) + 1
