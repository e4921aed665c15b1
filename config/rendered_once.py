"""Markup rendered once per process for a key and kept for the next requests.

Some parts of a page read the same on every request for a small set of inputs (the navigation
for a language and page, an empty form field, the appeal page's content in one state). Each
is rendered the first time its key is seen and kept in the process; the key must hold
everything the markup reads. A bound keeps a process that sees many keys from growing without
end: when full, the oldest half is dropped (a dict keeps insertion order).

Markup that must carry a value of the request's own (its CSRF token) is rendered with a slot
in its place and filled in per request (`fill_csrf`). A slot carries a random per-process
part, so no text of a borrower's or an agent's can be taken for one.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Hashable

from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe

SLOT = secrets.token_hex(16)
# Rendered as the context's `csrf_token`: `{% csrf_token %}` writes it where the token goes.
CSRF_SLOT = f"csrf-{SLOT}"


def fill_csrf(html: str, request) -> str:
    """Kept markup with this request's CSRF token in its slots."""
    return html.replace(CSRF_SLOT, get_token(request)) if CSRF_SLOT in html else html


class RenderedOnce:
    def __init__(self, *, max_entries: int) -> None:
        self.max_entries = max_entries
        self._kept: dict[Hashable, str] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], str]) -> SafeString:
        """The markup kept for `key`, rendered by `render()` (our templates' output) when
        none is kept."""
        html = self._kept.get(key)
        if html is None:
            html = render()
            with self._lock:
                if len(self._kept) >= self.max_entries:
                    for old in list(self._kept)[: len(self._kept) // 2 + 1]:
                        del self._kept[old]
                self._kept[key] = html
        return mark_safe(html)  # noqa: S308 - our templates' output

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
