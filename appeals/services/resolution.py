"""An appeal made moot: its line was restored by something else while it was being worked.

The borrower closes her loans at other platforms, the re-evaluation restores her line, and
her appeal has nothing left to decide. It ends as resolved ("your credit line was restored"),
never denied: no one can decide it afterwards, and the borrower is told once, by the appeal.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from credit.models import DecisionTrigger

from .. import notices
from ..models import Appeal
from ..states import BEING_WORKED_STATES
from ._transition import appeal_transition


def appeals_resolve_moot(restored: Mapping[int, object]) -> set[int]:
    """The `credit.restorations` listener: close every appeal being worked on a restored line,
    in the transaction that restored it. Returns the lines whose borrower the appeal's notice
    tells (a correction keeps its own apology notice as well)."""
    appeals = Appeal.objects.select_for_update(of=("self",)).filter(
        line_id__in=list(restored), status__in=list(BEING_WORKED_STATES)
    )
    told: set[int] = set()
    for appeal in appeals.select_related("borrower", "line", "decision"):
        decision = restored[appeal.line_id]
        with appeal_transition(
            appeal, "resolve_moot", _("resolved"), actor=None, locked=True
        ) as step:
            step.apply(at=step.now, credit_decision=decision)
            step.comment = "line restored by re-evaluation while the appeal was open"
            step.then(lambda appeal=step.appeal: notices.appeal_resolved_moot(appeal))
        if decision.trigger != DecisionTrigger.CORRECTION:
            told.add(appeal.line_id)
    return told
