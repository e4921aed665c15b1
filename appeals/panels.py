"""The appeal's part of "My credit", plugged into the page through `credit.panels`.

In the status card: the open appeal's reference and state, with a link to it. Under the
reasons of the decision that explains the line: "See your appeal" while one is open, else
"Appeal this decision" for as long as that decision can be appealed, and the same action kept
in view at the bottom of the screen, named for what it contests ("Appeal this closure").
Where no appeal is possible, a way to send a support request instead.
"""

from credit import panels

from .selectors import open_appeal_for_line

STATUS_TEMPLATE = "appeals/panels/my_credit_status.html"
DECISION_TEMPLATE = "appeals/panels/my_credit_decision.html"
ACTION_TEMPLATE = "appeals/panels/my_credit_action.html"
SUPPORT_TEMPLATE = "appeals/panels/my_credit_support.html"


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
        templates[panels.ACTION] = ACTION_TEMPLATE
    elif explaining is not None and explaining.is_adverse:
        # No appeal is possible (not appealable, or the window has passed): a support request.
        templates[panels.DECISION] = SUPPORT_TEMPLATE
    if not templates:
        return None
    return panels.Panel(templates=templates, context={"appeal": appeal, "decision": explaining})
