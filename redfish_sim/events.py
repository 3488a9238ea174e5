"""EventService state: subscriptions (EventDestination) and the events pushed to them.

The device reports changes through ``watch`` (``("power", "On")``, ``("log", "<record id>")``); the service turns
each into one Redfish ``Event`` (ResourceEvent registry messages: ``ResourceChanged`` with the System as origin
for a power change, ``ResourceCreated`` with the new LogEntry as origin for a SEL entry) and hands it, once per
matching subscription, to the injected ``send(destination, body) -> Deferred[status] | None``.  Event ids count
up, so the same actions give the same events.

A delivery the receiver does not accept (an HTTP status outside 2xx, or 0 when it could not be reached) is tried
again ``retry_attempts`` times, ``retry_interval`` seconds apart on the injected ``clock`` (the BMC's reactor),
as EventService ``DeliveryRetryAttempts`` / ``DeliveryRetryIntervalSeconds`` say (defaults 3 and 30 s, bmcweb's);
then the event is dropped and counted in the subscription's ``failed``.  Deleting a subscription stops its retries.
A ``send`` that returns None (a destination this BMC may not reach) is not retried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from twisted.internet.defer import Deferred

EVENT_TYPES = ("StatusChange", "ResourceUpdated", "ResourceAdded", "Alert")
MAX_SUBSCRIPTIONS = 20
RETRY_ATTEMPTS, RETRY_INTERVAL = 3, 30  # bmcweb's defaults
MAX_RETRY_ATTEMPTS, RETRY_INTERVAL_RANGE = 5, (1, 180)  # what a PATCH of the EventService may set
Sender = Callable[[str, dict[str, Any]], "Deferred[int] | None"]


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
    clock: Any = None  # IReactorTime for retries; None: no retries
    retry_attempts: int = RETRY_ATTEMPTS
    retry_interval: int = RETRY_INTERVAL
    retries: dict[str, list[Any]] = field(default_factory=dict)  # subscription id -> its pending DelayedCalls

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
            self._deliver(sub, body, 0)
            sent += 1
        return sent

    def unsubscribe(self, subscription_id: str) -> bool:
        """Remove a subscription and its pending retries; False when there is none of that id."""
        for call in self.retries.pop(subscription_id, []):
            if call.active():
                call.cancel()
        return self.subscriptions.pop(subscription_id, None) is not None

    def _deliver(self, sub: Subscription, body: dict[str, Any], retry: int) -> None:
        if self.subscriptions.get(sub.subscription_id) is not sub or self.send is None:
            return
        answer = self.send(sub.destination, body)
        if not isinstance(answer, Deferred):
            return
        answer.addCallback(self._answered, sub, body, retry)

    def _answered(self, status: object, sub: Subscription, body: dict[str, Any], retry: int) -> None:
        if isinstance(status, int) and 200 <= status < 300:
            sub.delivered += 1
            return
        if retry >= self.retry_attempts or self.clock is None:
            sub.failed += 1
            return
        pending = self.retries.setdefault(sub.subscription_id, [])
        pending[:] = [c for c in pending if c.active()]
        pending.append(self.clock.callLater(self.retry_interval, self._deliver, sub, body, retry + 1))


def destination_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
