"""A form sent twice (a double tap, a retried request) is answered once.

Each borrower form carries a one-time token (`{% form_token %}`). The first POST with a token
runs; when it ends in a redirect (the act was done), that redirect is remembered for a while
and a second POST with the same token gets it too, without acting again. A POST that arrives
while the first is still running waits for its result. A form answered with errors forgets
its token, so the corrected form can be sent again.

The memory is the cache (Redis). When it cannot be reached the form is acted on as if it had
no token: a borrower's appeal is never refused for want of the double-tap guard (the acts
themselves refuse a second submission of the same appeal).
"""

from __future__ import annotations

import logging
import time
from functools import wraps

from django.core.cache import cache
from django.shortcuts import redirect

FIELD = "form_token"
REMEMBER_SECONDS = 15 * 60
WAIT_SECONDS = 10.0
PENDING = "pending"
logger = logging.getLogger(__name__)


def _key(request, token: str) -> str:
    return f"form-once:{request.user.pk}:{token[:64]}"


def _wait_for(key: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = cache.get(key)
        if value != PENDING:
            return value
        time.sleep(0.1)
    return None


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:  # down: the pending mark expires with REMEMBER_SECONDS
        logger.warning("A borrower form's token not forgotten: cache down")


def answered_once(view):
    """Wrap a borrower POST view so that a token's second POST gets the first one's result."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not token:
            return view(request, *args, **kwargs)
        key = _key(request, token)
        try:
            claimed = cache.add(key, PENDING, REMEMBER_SECONDS)
            first = None if claimed else cache.get(key)
            if first == PENDING:
                first = _wait_for(key)
        except Exception:  # the cache is down: act without the guard
            logger.warning("A borrower form acted on without its once-only guard: cache down")
            return view(request, *args, **kwargs)
        if first:
            return redirect(first)
        # Claimed, or the first attempt failed or was forgotten: this one runs.
        try:
            response = view(request, *args, **kwargs)
        except Exception:
            _forget(key)
            raise
        if response.status_code in (301, 302, 303) and response.get("Location"):
            try:
                cache.set(key, response["Location"], REMEMBER_SECONDS)
            except Exception:
                logger.warning("A borrower form's answer not remembered: cache down")
        else:
            _forget(key)
        return response

    return wrapper
