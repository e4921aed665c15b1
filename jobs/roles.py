"""Who sees queued work in the admin: supervisors and the compliance auditor, read-only (the
admin offers no change). The role names are accounts' (jobs sits below accounts, so they are
spelled out rather than imported)."""

GRANTS = {
    "supervisor": ("jobs.view_queuedjob",),
    "compliance auditor": ("jobs.view_*",),
}
