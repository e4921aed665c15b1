"""Which policy versions are in force, and which of them a borrower has yet to accept.

The one place that says what "the current version" of a document is: the latest published
version whose effective date has come (in the borrower's time zone, which the middleware
activates). The web gate (`ConsentGateMiddleware`), the API's `PoliciesAccepted` permission
and the consent page all ask here. Reads only; acceptances are written by
`services.policies_accept`.
"""

from __future__ import annotations

import logging
from datetime import date

from django.core.cache import cache
from django.utils import timezone

from .models import PolicyAcceptance, PolicyDocument, PolicyVersion

_CACHE_KEY = "accounts.policies.current:{day}"
_CACHE_SECONDS = 300
# Version ids the session's borrower is known to have accepted: most requests need no query.
SESSION_KEY = "accounts.policies.accepted"

logger = logging.getLogger(__name__)


def current_versions(*, today: date | None = None) -> list[PolicyVersion]:
    """The version in force of each document, in the documents' order."""
    today = today or timezone.localdate()
    in_force: dict[str, PolicyVersion] = {}
    published = PolicyVersion.objects.filter(
        published_at__isnull=False, effective_on__lte=today
    ).order_by("document", "-effective_on", "-published_at")
    for version in published:
        in_force.setdefault(version.document, version)
    return [in_force[d] for d in PolicyDocument.values if d in in_force]


def current_version_ids() -> list[int]:
    """Ids of the versions in force today, cached for a few minutes (publishing clears it)."""
    key = _CACHE_KEY.format(day=timezone.localdate().isoformat())
    try:
        ids = cache.get(key)
    except Exception:  # the cache (Redis) is down: read the database, as if it had expired
        logger.warning("Policies in force read without the cache: it is unavailable")
        return [version.pk for version in current_versions()]
    if ids is None:
        ids = [version.pk for version in current_versions()]
        try:
            cache.set(key, ids, _CACHE_SECONDS)
        except Exception:
            logger.warning("Policies in force not cached: the cache is unavailable")
    return ids


def forget_current_versions() -> None:
    """After a publication: the next request reads the versions in force again."""
    today = timezone.localdate()
    try:
        cache.delete_many(
            [_CACHE_KEY.format(day=date.fromordinal(today.toordinal() + d)) for d in (-1, 0, 1)]
        )
    except Exception:  # down: what it held expires within _CACHE_SECONDS
        logger.warning("Policies in force not cleared from the cache: it is unavailable")


def pending_versions(user) -> list[PolicyVersion]:
    """The versions in force that `user` has not accepted, in the documents' order."""
    accepted = set(
        PolicyAcceptance.objects.filter(user=user).values_list("policy_version_id", flat=True)
    )
    return [version for version in current_versions() if version.pk not in accepted]


def must_accept(user, session=None) -> bool:
    """Whether `user` (a borrower) is held at the consent page before anything else."""
    if not user.is_authenticated or user.is_staff:
        return False
    ids = current_version_ids()
    if not ids:
        return False
    known = set(session.get(SESSION_KEY, ())) if session is not None else set()
    if set(ids) <= known:
        return False
    accepted = set(
        PolicyAcceptance.objects.filter(user=user, policy_version_id__in=ids).values_list(
            "policy_version_id", flat=True
        )
    )
    if accepted >= set(ids):
        if session is not None:
            session[SESSION_KEY] = sorted(ids)
        return False
    return True


def earlier_version_accepted(user, version: PolicyVersion) -> bool:
    """Whether `user` accepted an earlier version of the same document (then "what changed"
    is shown above the text)."""
    return (
        PolicyAcceptance.objects.filter(user=user, policy_version__document=version.document)
        .exclude(policy_version=version)
        .exists()
    )
