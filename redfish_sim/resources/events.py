"""EventService: subscriptions (EventDestination) and SubmitTestEvent; events come from the device's changes."""

from __future__ import annotations

from typing import Any

from redfish_sim.errors import RedfishError, not_found
from redfish_sim.events import (
    EVENT_TYPES,
    MAX_RETRY_ATTEMPTS,
    MAX_SUBSCRIPTIONS,
    RETRY_INTERVAL_RANGE,
    Subscription,
    destination_ok,
)
from redfish_sim.resources import V1, check_keys, collection, ref, resource, status, string
from redfish_sim.routing import Call, Reply, route

EVENT_SERVICE = f"{V1}/EventService"
SUBSCRIPTIONS = f"{EVENT_SERVICE}/Subscriptions"
TEST_EVENT = "EventService.SubmitTestEvent"


def event_service(call: Call) -> Reply:
    body = resource(
        EVENT_SERVICE,
        "#EventService.v1_7_0.EventService",
        "Event Service",
        ident="EventService",
        ServiceEnabled=True,
        DeliveryRetryAttempts=call.service.events.retry_attempts,
        DeliveryRetryIntervalSeconds=call.service.events.retry_interval,
        EventTypesForSubscription=list(EVENT_TYPES),
        Status=status(),
        Subscriptions=ref(SUBSCRIPTIONS),
        Actions={f"#{TEST_EVENT}": {"target": f"{EVENT_SERVICE}/Actions/{TEST_EVENT}"}},
    )
    return Reply(body=body)


def patch_event_service(call: Call) -> Reply:
    """``DeliveryRetryAttempts`` (0 to 5) and ``DeliveryRetryIntervalSeconds`` (1 to 180), all or nothing."""
    check_keys(
        call.body, {"DeliveryRetryAttempts", "DeliveryRetryIntervalSeconds"}, set(event_service(call).body or {})
    )
    hub = call.service.events
    bounds = {"DeliveryRetryAttempts": (0, MAX_RETRY_ATTEMPTS), "DeliveryRetryIntervalSeconds": RETRY_INTERVAL_RANGE}
    check_keys(call.body, set(bounds), set(event_service(call).body or {}))
    values = {}
    for key, (low, high) in bounds.items():
        if key not in call.body:
            continue
        value = call.body[key]
        if not isinstance(value, int) or isinstance(value, bool):
            raise RedfishError(400, "PropertyValueTypeError", value, key, note="An integer is expected.")
        if not low <= value <= high:
            raise RedfishError(400, "PropertyValueNotInList", value, key, note=f"Valid values: {low} to {high}.")
        values[key] = value
    hub.retry_attempts = values.get("DeliveryRetryAttempts", hub.retry_attempts)
    hub.retry_interval = values.get("DeliveryRetryIntervalSeconds", hub.retry_interval)
    return event_service(call)


def _body(sub: Subscription) -> dict[str, Any]:
    return resource(
        f"{SUBSCRIPTIONS}/{sub.subscription_id}",
        "#EventDestination.v1_10_0.EventDestination",
        "Event Subscription",
        Destination=sub.destination,
        Context=sub.context,
        Protocol="Redfish",
        EventTypes=list(sub.event_types),
        SubscriptionType="RedfishEvent",
    )


def subscriptions(call: Call) -> Reply:
    members = [f"{SUBSCRIPTIONS}/{s}" for s in call.service.events.subscriptions]
    return Reply(
        body=collection(
            SUBSCRIPTIONS, "#EventDestinationCollection.EventDestinationCollection", "Subscriptions", members
        )
    )


def subscribe(call: Call) -> Reply:
    body = call.body
    check_keys(body, {"Destination", "Context", "Protocol", "EventTypes", "SubscriptionType"})
    destination = string(body, "Destination")
    if destination is None:
        raise RedfishError(400, "PropertyMissing", "Destination")
    hub = call.service.events
    if not destination_ok(destination):
        raise RedfishError(
            400, "PropertyValueFormatError", destination, "Destination", note="Use an http:// or https:// URL."
        )
    if body.get("Protocol", "Redfish") != "Redfish":
        raise RedfishError(400, "PropertyValueNotInList", body["Protocol"], "Protocol", note="Valid values: Redfish.")
    types = body.get("EventTypes", list(EVENT_TYPES))
    if not isinstance(types, list) or any(t not in EVENT_TYPES for t in types):
        raise RedfishError(
            400, "PropertyValueNotInList", types, "EventTypes", note=f"Valid values: {', '.join(EVENT_TYPES)}."
        )
    if len(hub.subscriptions) >= MAX_SUBSCRIPTIONS:
        raise RedfishError(400, "CreateLimitReachedForResource", note=f"At most {MAX_SUBSCRIPTIONS} subscriptions.")
    sub = hub.subscribe(destination, string(body, "Context") or "", tuple(types))
    return Reply(201, _body(sub), {"Location": f"{SUBSCRIPTIONS}/{sub.subscription_id}"})


def subscription(call: Call) -> Reply:
    sub = call.service.events.subscriptions.get(call.params["subscription"])
    if sub is None:
        raise not_found(call.path)
    return Reply(body=_body(sub))


def unsubscribe(call: Call) -> Reply:
    if not call.service.events.unsubscribe(call.params["subscription"]):
        raise not_found(call.path)
    return Reply(204)


def test_event(call: Call) -> Reply:
    event_type = call.body.get("EventType", "Alert")
    if event_type not in EVENT_TYPES:
        raise RedfishError(
            400,
            "ActionParameterValueNotInList",
            event_type,
            "EventType",
            TEST_EVENT,
            note=f"Valid values: {', '.join(EVENT_TYPES)}.",
        )
    message_id = str(call.body.get("MessageId", "Base.1.8.1.Success"))
    call.service.events.publish(event_type, message_id, "Test event", EVENT_SERVICE, [])
    return Reply(204)


ROUTES = [
    route(
        EVENT_SERVICE,
        "event-service",
        GET=(event_service, "Login"),
        PATCH=(patch_event_service, "ConfigureManager"),
    ),
    route(f"{EVENT_SERVICE}/Actions/{TEST_EVENT}", "event.test", POST=(test_event, "ConfigureManager")),
    route(SUBSCRIPTIONS, "subscriptions", GET=(subscriptions, "Login"), POST=(subscribe, "ConfigureManager")),
    route(
        f"{SUBSCRIPTIONS}/{{subscription}}",
        "subscription",
        GET=(subscription, "Login"),
        DELETE=(unsubscribe, "ConfigureManager"),
    ),
]
