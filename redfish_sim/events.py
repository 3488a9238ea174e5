"""EventService state: subscriptions (EventDestination) and the events pushed to them.

The device reports changes through ``watch`` (``("power", "On")``, ``("log", "<record id>")``); the service turns
each into one Redfish ``Event`` (ResourceEvent registry messages: ``ResourceChanged`` with the System as origin
for a power change, ``ResourceCreated`` with the new LogEntry as origin for a SEL entry) and hands it, once per
matching subscription, to the injected ``send(destination, body) -> Deferred/None``.  Event ids count up, so the
same actions give the same events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

EVENT_TYPES = ("StatusChange", "ResourceUpdated", "ResourceAdded", "Alert")
MAX_SUBSCRIPTIONS = 20
Sender = Callable[[str, dict[str, Any]], object]


@dataclass
class Subscription:
    subscription_id: str
    destination: str
    context: str
    event_types: tuple[str, ...]
    delivered: int = 0
    failed: int = 0


@dataclass
class EventHub:
    """Subscriptions of one BMC and the delivery of its events."""

    send: Sender | None = None
    allow_destination: Callable[[str], bool] = field(default=lambda url: True)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    next_subscription: int = 1
    next_event: int = 1

    def subscribe(self, destination: str, context: str, event_types: tuple[str, ...]) -> Subscription:
        """Validated by the caller (URL scheme, limit); returns the new subscription."""
        sub = Subscription(str(self.next_subscription), destination, context, event_types or EVENT_TYPES)
        self.next_subscription += 1
        self.subscriptions[sub.subscription_id] = sub
        return sub

    def publish(self, event_type: str, message_id: str, message: str, origin: str, args: list[str]) -> int:
        """Push one event to every subscription that takes ``event_type``; returns how many were sent."""
        sent = 0
        for sub in list(self.subscriptions.values()):
            if event_type not in sub.event_types or self.send is None:
                continue
            event_id = str(self.next_event)
            self.next_event += 1
            body = {
                "@odata.type": "#Event.v1_7_0.Event",
                "Id": event_id,
                "Name": "Event",
                "Context": sub.context,
                "Events": [
                    {
                        "EventType": event_type,
                        "EventId": event_id,
                        "MessageId": message_id,
                        "Message": message,
                        "MessageArgs": args,
                        "MessageSeverity": "OK",
                        "OriginOfCondition": {"@odata.id": origin},
                    }
                ],
            }
            self.send(sub.destination, body)
            sub.delivered += 1
            sent += 1
        return sent


def destination_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
