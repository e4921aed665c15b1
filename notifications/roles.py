"""What each staff role may do with notifications (see accounts.roles for how grants are synced).

Every role reads the outbox (what a borrower was told and when) and its own staff inbox;
supervisors may also resend a failed row or cancel a pending one. The auditor reads all.
"""

from accounts.roles import AGENT, AUDITOR, REVIEWER, SUPERVISOR

NOTIFICATIONS_READ = (
    "notifications.view_notification",
    "notifications.view_deliveryattempt",
    "notifications.view_staffmessage",  # their own inbox in the admin
)

GRANTS = {
    AGENT: NOTIFICATIONS_READ,
    REVIEWER: NOTIFICATIONS_READ,
    SUPERVISOR: NOTIFICATIONS_READ
    + ("notifications.resend_notification", "notifications.cancel_notification"),
    AUDITOR: ("notifications.view_*",),
}
