"""Demo notices so every demo borrower's Messages page has something in it.

Sent through the declaring app's notices, like any other notice; the event's dedupe rule
makes a second run a no-op. The credit and appeals seeds send their own notices.
"""

from django.db import transaction

from accounts.demo import BORROWERS
from accounts.models import User
from accounts.notices import notify_policy_updated


@transaction.atomic
def seed(stdout=None) -> int:
    """Tell each demo borrower about the November privacy policy update."""
    created = 0
    for user in User.objects.filter(email__in=[p.email for p in BORROWERS]):
        created += len(
            notify_policy_updated(
                recipient=user,
                document="privacy_policy",
                version="2026-11",
                effective_on="2026-12-01",
            )
        )
    if stdout is not None:
        stdout.write(f"notifications: {created} demo notices written")
    return created
