"""Starting and editing a draft appeal: which decisions can be appealed, by whom, once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit import selectors as credit_selectors
from credit.appealability import appeal_until
from credit.models import CreditDecision, CreditLine

from ..models import OPEN_STATES, Appeal, AppealStatus
from ._input import clean_grounds, clean_text
from ._transition import AppealPermissionDenied, lock_appeal, log_transition, require_borrower

S = AppealStatus


def decision_appealable_until(
    decision: CreditDecision, *, now: datetime, line: CreditLine | None = None
) -> datetime | None:
    """Credit's appeal window, for the decision that explains the line right now (credit's
    one definition, shared with My credit and the API); any other decision: None."""
    explaining = credit_selectors.decision_explaining_line(line=line or decision.line)
    if explaining is None or explaining.pk != decision.pk:
        return None
    return appeal_until(decision, now=now)


def line_has_open_appeal(line_id: int) -> bool:
    """At most one open appeal per credit line (also a database constraint)."""
    return Appeal.objects.filter(line_id=line_id, status__in=list(OPEN_STATES)).exists()


@transaction.atomic
def appeal_create(
    *, borrower, decision: CreditDecision, grounds: Sequence[str] = (), statement: str = ""
) -> Appeal:
    """Start a draft appeal against one of the borrower's own decisions.

    Rules: the decision is on the borrower's own line; it is appealable now (adverse, an
    appealable reason, within APPEAL_WINDOW_DAYS of its notice, and still the decision that
    explains the line); the line has no other open appeal (also a database constraint).
    """
    line = CreditLine.objects.select_for_update().get(pk=decision.line_id)
    if line.borrower_id != borrower.pk:
        raise AppealPermissionDenied(_("You can only appeal decisions about your own credit line."))
    now = timezone.now()
    if decision_appealable_until(decision, now=now, line=line) is None:
        raise ValidationError(
            {"decision": _("This decision can no longer be appealed.")}, code="not_appealable"
        )
    if line_has_open_appeal(line.pk):
        raise ValidationError(
            {"decision": _("You already have an open appeal for this credit line.")},
            code="open_appeal",
        )
    if decision.appeals.exclude(status__in=[S.WITHDRAWN, S.DISCARDED]).exists():
        raise ValidationError(
            {
                "decision": _(
                    "This decision has already been appealed. After a denial you can ask for "
                    "a second review on the appeal's page."
                )
            },
            code="already_appealed",
        )
    appeal = Appeal(
        borrower=borrower,
        line=line,
        decision=decision,
        grounds=clean_grounds(grounds),
        statement=clean_text(statement, field="statement", required=False),
        created_at=now,
    )
    try:
        with transaction.atomic():
            appeal.save()
    except IntegrityError as exc:  # a concurrent twin
        raise ValidationError(
            {"decision": _("You already have an open appeal for this credit line.")},
            code="open_appeal",
        ) from exc
    log_transition(appeal, S.DRAFT, actor=borrower, at=now, comment="draft started")
    return appeal


@transaction.atomic
def appeal_update_draft(*, appeal: Appeal, actor, grounds: Sequence[str], statement: str) -> Appeal:
    """Change the grounds and statement of a draft (only the borrower, only while a draft)."""
    appeal = lock_appeal(appeal)
    require_borrower(appeal, actor)
    if appeal.status != S.DRAFT:
        raise ValidationError(_("Only a draft can be edited."), code="state")
    appeal.grounds = clean_grounds(grounds)
    appeal.statement = clean_text(statement, field="statement", required=False)
    appeal.save(update_fields=["grounds", "statement"])
    return appeal
