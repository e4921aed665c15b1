"""The appeal's part of "My credit", plugged into the page through `credit.panels`.

In the status card: the open appeal's reference and state, with a link to it. Under the
reasons of the decision that explains the line: "See your appeal" while one is open, else
"Appeal this decision" for as long as that decision can be appealed.
"""

from credit import panels

from .selectors import open_appeal_for_line

STATUS_TEMPLATE = "appeals/panels/my_credit_status.html"
DECISION_TEMPLATE = "appeals/panels/my_credit_decision.html"


def my_credit_appeal_panel(*, user, overview) -> panels.Panel | None:
    """The borrower's own open appeal on the line, or the way to start one; None if neither."""
    appeal = open_appeal_for_line(line_id=overview.line.pk)
    if appeal is not None and appeal.borrower_id != user.pk:
        appeal = None
    explaining = overview.explaining
    templates = {}
    if appeal is not None:
        templates[panels.STATUS] = STATUS_TEMPLATE
    if appeal is not None or (explaining is not None and explaining.appealable):
        templates[panels.DECISION] = DECISION_TEMPLATE
    if not templates:
        return None
    return panels.Panel(templates=templates, context={"appeal": appeal, "decision": explaining})
