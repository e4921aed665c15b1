"""What appeals tells the lender's systems (webhooks): an appeal opened, decided or
withdrawn, and the closure of a line held by an appeal or released when it ends.

Called by the transition skeleton (`services._transition`) after the log row, inside the
act's transaction; the messages take the next numbers in the line's sequence, after any
decision the act took on the line.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from credit.models import CreditLine, CreditLineStatus
from webhooks.registry import register
from webhooks.services import Outgoing, emit_many

from . import states

APPEAL_OPENED = register(
    "appeal.opened",
    _("A borrower submitted an appeal, or asked for a second review of a denial."),
)
APPEAL_DECIDED = register(
    "appeal.decided",
    _("An appeal was decided (approved, partly approved, approved automatically, denied)."),
)
APPEAL_WITHDRAWN = register(
    "appeal.withdrawn",
    _("The borrower withdrew an appeal."),
)
CLOSURE_HELD = register(
    "credit_line.closure_held",
    _("An appeal holds the scheduled closure of a line: it will not close while the appeal runs."),
)
CLOSURE_RELEASED = register(
    "credit_line.closure_released",
    _(
        "The appeal that held a closure ended and the line is still closing: the closure will "
        "take effect on its date."
    ),
)


def appeal_data(appeal, from_status: str) -> dict:
    return {
        "appeal_id": appeal.pk,
        "reference": appeal.reference,
        "customer_id": appeal.borrower.customer_id,
        "decision_id": appeal.decision_id,
        "from_status": from_status,
        "status": appeal.status,
        "outcome_decision_id": appeal.credit_decision_id,
    }


def appeal_moved(appeal, from_status: str) -> None:
    to = appeal.status
    worked_before = from_status in states.BEING_WORKED_STATES
    worked_now = to in states.BEING_WORKED_STATES
    out: list[Outgoing] = []
    data = appeal_data(appeal, from_status)
    if worked_now and not worked_before:
        out.append(Outgoing(APPEAL_OPENED.name, appeal.line_id, data))
    elif to in states.RESOLVED_STATES and from_status not in states.RESOLVED_STATES:
        out.append(Outgoing(APPEAL_DECIDED.name, appeal.line_id, data))
    elif to == states.WITHDRAWN:
        out.append(Outgoing(APPEAL_WITHDRAWN.name, appeal.line_id, data))
    if worked_now != worked_before:
        line = CreditLine.objects.filter(pk=appeal.line_id).values("status", "closing_effective_at")
        line = line.first()
        if line and line["status"] == CreditLineStatus.CLOSING:
            held = {
                "appeal_id": appeal.pk,
                "customer_id": data["customer_id"],
                "closing_effective_at": line["closing_effective_at"].isoformat(),
            }
            kind = CLOSURE_HELD if worked_now else CLOSURE_RELEASED
            out.append(Outgoing(kind.name, appeal.line_id, held))
    emit_many(out)
