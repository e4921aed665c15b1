"""What each staff role may do with appeals (see accounts.roles for how grants are synced).

Agents work assigned appeals (replies, internal notes, requests for information); reviewers
also decide and extend a complex case to 30 days; supervisors also decide second reviews,
reassign, approve the further +30 days, mark agents away and edit the holiday calendar and
canned responses. Everyone reads the desk's calendar, canned responses and logs. The auditor
reads all.
"""

from accounts.roles import AGENT, AUDITOR, REVIEWER, SUPERVISOR

APPEALS_READ = (
    "appeals.view_appeal",
    "appeals.view_appealtransition",
    "appeals.view_evidence",
    "appeals.view_message",
    "appeals.view_survey",
)
APPEALS_WORK = ("appeals.work_appeal", "appeals.request_info")
# Support requests: every desk role reads and answers them (the auditor only reads).
SUPPORT = (
    "appeals.view_supportrequest",
    "appeals.view_supportmessage",
    "appeals.answer_supportrequest",
)
DESK_READ = (
    "appeals.view_calendarday",
    "appeals.view_cannedresponse",
    "appeals.view_agentavailability",
    "appeals.view_appealassignment",
    "appeals.view_appealextension",
    "appeals.view_slabreach",
)

GRANTS = {
    AGENT: APPEALS_READ + APPEALS_WORK + DESK_READ + SUPPORT,
    REVIEWER: APPEALS_READ
    + APPEALS_WORK
    + DESK_READ
    + SUPPORT
    + ("appeals.decide_appeal", "appeals.extend_appeal"),
    SUPERVISOR: APPEALS_READ
    + APPEALS_WORK
    + DESK_READ
    + SUPPORT
    + (
        "appeals.decide_appeal",
        "appeals.decide_second_review",
        "appeals.extend_appeal",
        "appeals.approve_further_extension",
        "appeals.reassign_appeal",
        "appeals.set_agent_away",
        "appeals.add_calendarday",
        "appeals.change_calendarday",
        "appeals.delete_calendarday",
        "appeals.add_cannedresponse",
        "appeals.change_cannedresponse",
        "appeals.delete_cannedresponse",
        # The risk team: what appeals teach the scorecard (the auditor reads it too).
        "appeals.view_lessons",
        "appeals.view_appealreportpage",
    ),
    AUDITOR: ("appeals.view_*", "appeals.export_appeal"),
}
