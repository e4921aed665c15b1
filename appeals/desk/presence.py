"""Who else has a case open, and whether someone changed it since this page was loaded:
advisory, kept in the cache (never the database), refreshed by the case page every few
seconds without a reload. The row lock and the stale-page check still decide for real.

Being advisory, it gives way when the cache (Redis) is down: nobody is shown as here and
changes are told by the stale-page check alone; a case page or a desk act never fails for it."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils.translation import gettext as _

from .. import services
from ..models import Appeal

SEEN_FOR = 45  # seconds: a viewer who has not refreshed for longer has left
logger = logging.getLogger(__name__)


def poll_every() -> int:
    """Seconds between the case page's refreshes (desk.js reads it from the page)."""
    return int(getattr(settings, "DESK_PRESENCE_POLL_SECONDS", 10))


def _viewers_key(appeal_id: int) -> str:
    return f"desk:presence:{appeal_id}"


def _change_key(appeal_id: int) -> str:
    return f"desk:changed:{appeal_id}"


def here(appeal_id: int, user, *, now: float | None = None) -> list[str]:
    """Record `user` as viewing the case; the names of the others viewing it now."""
    now = now or time.time()
    try:
        viewers = {
            pk: seen
            for pk, seen in (cache.get(_viewers_key(appeal_id)) or {}).items()
            if now - seen[1] < SEEN_FOR
        }
        viewers[user.pk] = (user.full_name or user.email, now)
        cache.set(_viewers_key(appeal_id), viewers, SEEN_FOR * 2)
    except Exception:
        logger.warning("Desk presence not shown: the cache is unavailable")
        return []
    return sorted(name for pk, (name, _at) in viewers.items() if pk != user.pk)


def changed(appeal_id: int, user) -> None:
    """A desk act by `user` went through: others' pages learn who changed the case."""
    try:
        cache.set(
            _change_key(appeal_id), (user.pk, user.full_name or user.email, time.time()), 3600
        )
    except Exception:  # the others' pages still see the case moved (the stale-page check)
        logger.warning("Desk change not shared: the cache is unavailable")


def status(appeal_id: int, user, *, loaded_at: float, seen: str) -> dict:
    """What the page shows: others here; whether the case changed since it was loaded."""
    others = here(appeal_id, user)
    try:
        change = cache.get(_change_key(appeal_id))
    except Exception:
        change = None
    by = None
    if change and change[0] != user.pk and change[2] > loaded_at:
        by = change[1]
    appeal = Appeal.objects.get(pk=appeal_id)
    moved = services.state_token(appeal) != seen
    message = ""
    if by:
        message = _("%(who)s changed this appeal after you opened it: reload before you act.") % {
            "who": by
        }
    elif moved:
        message = _("This appeal changed after you opened it: reload before you act.")
    viewing = ""
    if others:
        viewing = _("Also viewing now: %(names)s") % {"names": ", ".join(others)}
    return {"others": others, "viewing": viewing, "changed": bool(by or moved), "message": message}


def presence_response(request, appeal_id: int) -> JsonResponse:
    try:
        loaded_at = float(request.GET.get("loaded", "0"))
    except ValueError:
        loaded_at = 0.0
    data = status(appeal_id, request.user, loaded_at=loaded_at, seen=request.GET.get("seen", ""))
    return JsonResponse(data)
