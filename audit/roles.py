"""Who reads the audit trail: supervisors and compliance auditors (read and export); agents
and reviewers do not. Role names are written out because this app sits below accounts."""

READ = ("audit.view_auditentry", "audit.export_auditentry")

GRANTS = {
    "supervisor": READ,
    "compliance auditor": READ,
}
