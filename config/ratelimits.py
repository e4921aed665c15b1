"""Rate limits counted in the shared cache, and the client address they count by.

A limit is a safeguard, not the act: when the cache is unreachable the request goes through
(logged), so an outage of Redis never turns a borrower's request into an error page. The
per-account sign-in lock (django-axes) is kept in the database and does not fail open.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, behind a configured trusted proxy, the address
    that proxy put in its header (`TRUSTED_PROXY_HEADER`, e.g. HTTP_X_FORWARDED_FOR, and
    `TRUSTED_PROXY_COUNT` proxies in front of the app: the entry that many from the right).
    Headers from anyone else are ignored, so a client cannot choose its own address."""
    remote = request.META.get("REMOTE_ADDR", "")
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    if not header:
        return remote
    trusted = getattr(settings, "TRUSTED_PROXY_ADDRESSES", [])
    if trusted and not _in_networks(remote, trusted):
        return remote
    hops = [h.strip() for h in request.META.get(header, "").split(",") if h.strip()]
    count = max(1, int(getattr(settings, "TRUSTED_PROXY_COUNT", 1)))
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _in_networks(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def client_address_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit key: the client address as `client_address` reads it."""
    return client_address(request)


def limited(request: HttpRequest, *, group: str, key, rate: str, increment: bool = True) -> bool:
    """Whether this POST goes over `rate` for `key` (django-ratelimit), counting it.
    Fails open: with the cache down, nothing is limited."""
    try:
        return is_ratelimited(
            request, group=group, key=key, rate=rate, method=["POST"], increment=increment
        )
    except Exception:
        logger.warning("Rate limit %s not checked: the cache is unavailable", group, exc_info=True)
        return False
