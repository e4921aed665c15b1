"""What accounts tells borrowers: a new version of a policy document they accepted.

The only caller of notify() in accounts. Its event is declared below and registered with
notifications at start-up; the templates are in accounts/templates/accounts/messages/.
"""

from django.utils.translation import gettext_lazy as _

from notifications.registry import CategorySpec, Channel, EventSpec, register, register_category
from notifications.services import notify

POLICY_UPDATED = "policy.updated"


def notify_policy_updated(*, recipient, document: str, version: str, effective_on: str) -> list:
    """Tell a borrower a policy document has a new version (once per document and version).

    The message promises what the consent gate does: from the effective date, the borrower
    reads and accepts the new version before anything else (accounts.consent)."""
    return notify(
        recipient=recipient,
        event=POLICY_UPDATED,
        context={"document": document, "version": version, "effective_on": effective_on},
    )


# --- Declared events ---------------------------------------------------------------------

POLICY_CATEGORY = register_category(
    CategorySpec(name="policy", label=_("Agreement and policy updates"), order=30)
)
register(
    EventSpec(
        name=POLICY_UPDATED,
        label=_("Policy updated"),
        category=POLICY_CATEGORY.name,
        channels=(Channel.EMAIL, Channel.INBOX),
        templates="accounts/messages",
        context={
            "document": (
                "credit_agreement | privacy_policy | automated_decisions",
                "privacy_policy",
            ),
            "version": ("the new version label", "2026-11"),
            "effective_on": ("when it applies (ISO date)", "2026-12-01"),
        },
        default_link="/policies/",
        dedupe="policy:{document}:{version}",
    )
)
