"""Periodic jobs run by `celery beat`. Each app adds its entries here."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Re-queue notification rows whose delivery task was lost or whose time has come.
    "notifications-relay": {"task": "notifications.relay_pending", "schedule": 60.0},
    # Publish after-commit work (jobs.QueuedJob) the broker missed while it was down.
    "jobs-relay": {"task": "jobs.relay", "schedule": 60.0},
}

# credit: every line re-evaluated nightly (fanned out in chunks); due closures hourly.
BEAT_SCHEDULE["credit.reevaluate_all_lines"] = {
    "task": "credit.reevaluate_all_lines",
    "schedule": crontab(hour=2, minute=30),
}
BEAT_SCHEDULE["credit.close_due_lines"] = {
    "task": "credit.close_due_lines",
    "schedule": crontab(minute=5),
}
# credit: a line re-evaluated on the day its decision said it would pass again by time alone
# (hourly, so the lender's day is caught whatever time the workers start).
BEAT_SCHEDULE["credit.recheck_due_lines"] = {
    "task": "credit.recheck_due_lines",
    "schedule": crontab(minute=25),
}
BEAT_SCHEDULE["credit.send_missing_notices"] = {
    "task": "credit.send_missing_notices",
    "schedule": crontab(minute=20),
}
BEAT_SCHEDULE["credit.resume_stalled_campaigns"] = {
    "task": "credit.resume_stalled_campaigns",
    "schedule": crontab(minute="*/2"),
}
BEAT_SCHEDULE["credit.lift_ended_campaigns"] = {
    "task": "credit.lift_ended_campaigns",
    "schedule": crontab(hour=0, minute=10),
}
# credit monitoring: yesterday's figures (its nightly run included) and alerts, once a day.
BEAT_SCHEDULE["credit.monitor_yesterday"] = {
    "task": "credit.monitor_yesterday",
    "schedule": crontab(hour=0, minute=40),
}

# credit: risk tips to borrowers who turned them on, once per period; hourly, so a borrower
# in quiet hours at one run is told at the first run after they end.
BEAT_SCHEDULE["credit.send_risk_tips"] = {
    "task": "credit.send_risk_tips",
    "schedule": crontab(minute=35),
}

# appeals: reply deadlines (a reminder before, the review goes on at the deadline).
BEAT_SCHEDULE["appeals.remind_and_expire_replies"] = {
    "task": "appeals.remind_and_expire_replies",
    "schedule": crontab(minute=15),
}

# appeals desk: missed first-response / decision due times escalated to supervisors (once each).
BEAT_SCHEDULE["appeals.escalate_sla_breaches"] = {
    "task": "appeals.escalate_sla_breaches",
    "schedule": crontab(minute="*/5"),
}

# webhooks: deliver what is due (each write also queues a run on commit).
BEAT_SCHEDULE["webhooks.deliver_due"] = {"task": "webhooks.deliver_due", "schedule": 15.0}

# accounts: personal details removed once the retention period has passed (legal holds
# skipped); expired copies of personal data removed.
BEAT_SCHEDULE["accounts.apply_retention"] = {
    "task": "accounts.apply_retention",
    "schedule": crontab(hour=3, minute=40),
}
