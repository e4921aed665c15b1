"""Bearer token secrets: generated once, shown once, stored only as a SHA-256 hash.

SHA-256 without a salt or a slow hasher is right here because the secrets are 256 random
bits: there is nothing to guess, and a fast hash lets every request look its token up by
an indexed column.
"""

import hashlib
import secrets

SERVICE_PREFIX = "rcs_"
BORROWER_PREFIX = "rcb_"
VISIBLE_CHARS = 12  # "rcs_" + 8 random characters: enough to tell tokens apart in the admin


def token_generate(*, service: bool) -> str:
    """A new raw token: a kind marker and 32 random bytes, URL-safe."""
    return (SERVICE_PREFIX if service else BORROWER_PREFIX) + secrets.token_urlsafe(32)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_prefix(raw: str) -> str:
    return raw[:VISIBLE_CHARS]


def token_looks_valid(raw: str) -> bool:
    """Cheap shape check before touching the database."""
    return (
        raw.startswith((SERVICE_PREFIX, BORROWER_PREFIX))
        and 40 <= len(raw) <= 100
        and raw.isascii()
        and all(c.isalnum() or c in "-_" for c in raw)
    )
