"""Embedded default: what `make run` uses on a fresh clone."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
