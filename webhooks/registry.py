"""Webhook event types, registered by the apps that send them (each app's `outbound.py`).

webhooks names no domain event: `emit()` refuses a type no app registered, so a typo never
reaches the lender's systems, and the admin offers the registered types to subscribe to.
"""

from dataclasses import dataclass


class UnknownEventType(ValueError):
    pass


@dataclass(frozen=True)
class EventType:
    name: str
    description: str


_types: dict[str, EventType] = {}


def register(name: str, description: str) -> EventType:
    if name in _types and _types[name].description != description:
        raise ValueError(f"Webhook event type {name!r} is registered twice.")
    _types[name] = EventType(name, description)
    return _types[name]


def event_type(name: str) -> EventType:
    try:
        return _types[name]
    except KeyError:
        raise UnknownEventType(f"No app registered the webhook event type {name!r}.") from None


def all_types() -> list[EventType]:
    return sorted(_types.values(), key=lambda t: t.name)
