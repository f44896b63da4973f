"""Domain events: how an app tells the apps to its right that something happened.

Events are plain frozen dataclasses. Subscribers are explicit functions registered in each app's
``AppConfig.ready()`` with ``subscribe``; ``publish`` calls them in registration order, inside the
caller's transaction, so consequences (an SLA clock moving) commit or roll back with the change.
Side effects that leave the process (email, webhooks) go through ``cogest.outbox.enqueue`` from a
subscriber, and run in Celery after commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event; ``name`` is the public name (``ticket.created``)."""

    name = "event"


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], None]
_subscribers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Register ``handler`` for ``event_type`` (and its subclasses); idempotent."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def unsubscribe(event_type: type[DomainEvent], handler: Handler) -> None:
    if handler in _subscribers.get(event_type, []):
        _subscribers[event_type].remove(handler)


def subscribers_of(event_type: type[DomainEvent]) -> list[Handler]:
    handlers: list[Handler] = []
    for klass in reversed(event_type.__mro__):
        if isinstance(klass, type) and issubclass(klass, DomainEvent):
            handlers.extend(_subscribers.get(klass, []))
    return handlers


def publish(event: DomainEvent) -> None:
    """Call every subscriber of the event now, in order. A subscriber's error propagates: the
    caller's transaction rolls back, so a change never lands without its consequences."""
    for handler in subscribers_of(type(event)):
        handler(event)
