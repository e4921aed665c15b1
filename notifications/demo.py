"""Demo notices so every demo borrower's Messages page has something in it.

Sent through notify(), like any other notice; the dedupe key makes a second run a no-op.
The credit and appeals seeds send their own notices (closure, appeal decided, ...).
"""

from django.db import transaction

from accounts.demo import BORROWERS
from accounts.models import User

from .catalogue import Event
from .services import notify

PRIVACY_UPDATE = {"document": "privacy_policy", "version": "2026-11", "effective_on": "2026-12-01"}


@transaction.atomic
def seed(stdout=None) -> int:
    """Tell each demo borrower about the November privacy policy update."""
    created = 0
    for user in User.objects.filter(email__in=[p.email for p in BORROWERS]):
        created += len(
            notify(
                recipient=user,
                event=Event.POLICY_UPDATED,
                context=PRIVACY_UPDATE,
                dedupe_key="policy:privacy_policy:2026-11",
            )
        )
    if stdout is not None:
        stdout.write(f"notifications: {created} demo notices written")
    return created
