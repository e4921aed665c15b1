"""What each staff role may do with credit lines (see accounts.roles for how grants are synced).

Agents and reviewers read lines, decisions, events and reason codes; supervisors also request
re-evaluations, edit reason codes and draft/activate rule versions. The auditor reads all.
"""

from accounts.roles import AGENT, AUDITOR, REVIEWER, SUPERVISOR

CREDIT_READ = (
    "credit.view_creditline",
    "credit.view_creditdecision",
    "credit.view_decisionreason",
    "credit.view_creditevent",
    "credit.view_reasoncode",
    "credit.view_closuredeferral",
    "credit.view_policycampaign",
    "credit.view_systemcorrection",
    "credit.view_evaluationbatch",
    "credit.view_helddecision",
    "credit.view_decisionreview",
    "credit.view_linerecheck",
)

GRANTS = {
    AGENT: CREDIT_READ,
    # Reviewers confirm or override a key customer's staged closure or pause.
    REVIEWER: CREDIT_READ + ("credit.decide_decisionreview",),
    SUPERVISOR: CREDIT_READ
    + (
        "credit.reevaluate_creditline",
        "credit.decide_creditline",
        "credit.add_reasoncode",
        "credit.change_reasoncode",
        "credit.view_scorecard",
        "credit.add_scorecard",
        "credit.change_scorecard",
        "credit.view_decisionpolicy",
        "credit.add_decisionpolicy",
        "credit.change_decisionpolicy",
        "credit.view_policycampaign",
        "credit.add_policycampaign",
        "credit.change_policycampaign",
        "credit.run_policycampaign",
        "credit.view_systemcorrection",
        "credit.add_systemcorrection",
        "credit.change_systemcorrection",
        "credit.run_systemcorrection",
        "credit.view_shadowrun",
        "credit.add_shadowrun",
        "credit.change_shadowrun",
        "credit.run_shadowrun",
        "credit.view_monitoringday",
        "credit.view_monitoringalert",
        "credit.decide_decisionreview",
        "credit.review_evaluationbatch",
    ),
    AUDITOR: ("credit.view_*", "credit.export_creditdecision"),
}
