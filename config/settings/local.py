"""Embedded default: what `make run` uses on a fresh clone."""

from .base import *  # noqa: F403
from .base import env

# The designed error pages (404, 403, 500) by default, as a borrower would see them; set
# DEBUG=true for Django's debug pages while developing.
DEBUG = env.bool("DEBUG", default=False)
