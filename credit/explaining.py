"""Which decision explains a line's present state. The one rule for "My credit", the borrower
API (`/api/v1/me/credit-line/`) and the appeal service ("is this decision appealable now").

Pure: the line's status and its decisions, newest first, in; the position of the explaining
decision out. `credit.selectors.decision_explaining_line` reads the rows for it: only the
newest few (`complete=False`), and more only when the rule says it needs older ones, so a page
reads the same rows whether the line has 20 decisions or 2,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .models import ADVERSE_OUTCOMES, CreditLineStatus, DecisionOutcome


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    """What the rule needs to know of one decision."""

    outcome: str
    has_reasons: bool


# The answer when `decisions` is only the newest part of the history and the rule cannot
# decide without older decisions (no reinstatement and no adverse decision with reasons yet).
NEEDS_OLDER = -1


def explaining_index(
    *, line_status: str, decisions: Sequence[DecisionFacts], complete: bool = True
) -> int | None:
    """The position in `decisions` (newest first) of the decision that explains the line.

    - No decisions: nothing to explain.
    - An active line is explained only by a limit reduction that is its latest decision; an
      active line that was restored, reinstated (e.g. on an approved appeal) or never
      touched needs no explanation.
    - Otherwise, newest first, up to the latest reinstatement (what came before it no longer
      explains the line): the first adverse decision with reasons explains it. A closure
      postponed after an appeal's denial is such a decision: it carries the reasons of the
      closure it moves and the date that now applies. Taken on an appeal, it is contested
      through that appeal's second review, not a new appeal (see `appealability`).
    - When none gives reasons, the latest decision explains the line if it is adverse (a
      line in an adverse state always shows the decision that put it there).

    `complete=False` says older decisions exist beyond `decisions`: when the answer depends
    on them, `NEEDS_OLDER` is returned and the caller reads further back.
    """
    if not decisions:
        return None
    latest = decisions[0]
    if line_status == CreditLineStatus.ACTIVE and latest.outcome != DecisionOutcome.REDUCE_LIMIT:
        return None
    for index, facts in enumerate(decisions):
        if facts.outcome == DecisionOutcome.REINSTATE:
            break
        if facts.outcome in ADVERSE_OUTCOMES and facts.has_reasons:
            return index
    else:
        if not complete:
            return NEEDS_OLDER
    return 0 if latest.outcome in ADVERSE_OUTCOMES else None
