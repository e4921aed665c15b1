"""The staff desk in the Django admin: the queue, the case page, its actions and how they
are shown. `appeals.admin` only registers; every write goes through `appeals.services`."""

from ..services import StaleAppeal, state_token

__all__ = ["StaleAppeal", "state_token"]
