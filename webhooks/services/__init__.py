"""Every write to webhook endpoints, messages and deliveries goes through these functions."""

from .delivery import DeliveryRun, deliveries_run_due, delivery_attempt
from .endpoints import (
    ROTATION_OVERLAP,
    deliveries_replay,
    endpoint_create,
    endpoint_enable,
    endpoint_rotate_secret,
)
from .outbox import Outgoing, emit, emit_many

__all__ = [
    "ROTATION_OVERLAP",
    "DeliveryRun",
    "Outgoing",
    "deliveries_replay",
    "deliveries_run_due",
    "delivery_attempt",
    "emit",
    "emit_many",
    "endpoint_create",
    "endpoint_enable",
    "endpoint_rotate_secret",
]
