"""A form sent twice (a double tap, a retried request) is answered once.

Each borrower form carries a one-time token (`{% form_token %}`). The first POST with a token
runs; when it ends in a redirect (the act was done), that redirect is remembered for a while
and a second POST with the same token gets it too, without acting again. A POST that arrives
while the first is still running waits for its result. A form answered with errors forgets
its token, so the corrected form can be sent again.
"""

from __future__ import annotations

import time
from functools import wraps

from django.core.cache import cache
from django.shortcuts import redirect

FIELD = "form_token"
REMEMBER_SECONDS = 15 * 60
WAIT_SECONDS = 10.0
PENDING = "pending"


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


def answered_once(view):
    """Wrap a borrower POST view so that a token's second POST gets the first one's result."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not token:
            return view(request, *args, **kwargs)
        key = _key(request, token)
        if not cache.add(key, PENDING, REMEMBER_SECONDS):
            first = cache.get(key)
            if first == PENDING:
                first = _wait_for(key)
            if first:
                return redirect(first)
            # The first attempt failed or was forgotten: this one runs.
        try:
            response = view(request, *args, **kwargs)
        except Exception:
            cache.delete(key)
            raise
        if response.status_code in (301, 302, 303) and response.get("Location"):
            cache.set(key, response["Location"], REMEMBER_SECONDS)
        else:
            cache.delete(key)
        return response

    return wrapper
