"""What each staff role may do with webhooks: supervisors manage endpoints and replay
deliveries; the auditor reads everything."""

from accounts.roles import AUDITOR, SUPERVISOR

GRANTS = {
    SUPERVISOR: (
        "webhooks.view_webhookendpoint",
        "webhooks.add_webhookendpoint",
        "webhooks.change_webhookendpoint",
        "webhooks.view_webhookmessage",
        "webhooks.view_webhookdelivery",
        "webhooks.change_webhookdelivery",
        "webhooks.view_webhookattempt",
    ),
    AUDITOR: ("webhooks.view_*",),
}
