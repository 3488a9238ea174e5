"""EventService: subscriptions get an event for every host power change (by Redfish, IPMI or the PDU) and every
new SEL entry; filters, limits and destinations are checked."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet.defer import Deferred, succeed

from bmc_sim.config import Privilege
from bmc_sim.message import IpmiRequest, RequestContext
from tests.redfish_sim.conftest import Harness

SUBS = "/redfish/v1/EventService/Subscriptions"


def capture(rf: Harness) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    rf.service.events.send = lambda url, body: sent.append((url, body))
    return sent


def test_power_changes_and_sel_entries_become_events(rf: Harness) -> None:
    sent = capture(rf)
    status, sub = rf.json("POST", SUBS, {"Destination": "http://127.0.0.1:9/events", "Context": "ironic"})
    assert status == 201 and sub["EventTypes"] == ["StatusChange", "ResourceUpdated", "ResourceAdded", "Alert"]
    rf.call("POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", {"ResetType": "On"})
    ipmi = RequestContext(peer=("t", 1), privilege=Privilege.ADMINISTRATOR)
    assert rf.bmc.handle(IpmiRequest(0x00, 0x02, b"\x00"), ipmi).completion_code == 0  # IPMI power off
    power = [b["Events"][0] for _, b in sent if b["Events"][0]["EventType"] == "StatusChange"]
    assert [e["MessageArgs"] for e in power] == [["On"], ["Off"]]
    assert power[0]["OriginOfCondition"] == {"@odata.id": "/redfish/v1/Systems/1"}
    alerts = [b["Events"][0] for _, b in sent if b["Events"][0]["EventType"] == "Alert"]
    assert len(alerts) == len(rf.bmc.sel) == 2  # the power unit's SEL entries
    assert alerts[-1]["OriginOfCondition"]["@odata.id"].endswith(f"/SEL/Entries/{rf.bmc.sel.ids()[-1]}")
    assert all(url == "http://127.0.0.1:9/events" and body["Context"] == "ironic" for url, body in sent)
    assert [b["Id"] for _, b in sent] == [str(i) for i in range(1, len(sent) + 1)]


def test_filters_test_event_unsubscribe_and_bad_destinations(rf: Harness) -> None:
    sent = capture(rf)
    _, sub = rf.json("POST", SUBS, {"Destination": "https://127.0.0.1:9/", "EventTypes": ["Alert"]})
    rf.call("POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset", {"ResetType": "On"})
    assert {b["Events"][0]["EventType"] for _, b in sent} == {"Alert"}
    assert rf.call("POST", "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent", {}).status == 204
    assert sent[-1][1]["Events"][0]["Message"] == "Test event"
    assert rf.call("DELETE", f"{SUBS}/{sub['Id']}").status == 204
    count = len(sent)
    rf.bmc.log_event(0x08, 0x50, 0x01)
    assert len(sent) == count
    assert rf.json("POST", SUBS, {"Destination": "ftp://x/"})[0] == 400
    assert rf.json("POST", SUBS, {"Destination": "http://127.0.0.1/", "EventTypes": ["Gossip"]})[0] == 400
    viewer = {"authorization": "Basic dmlld2VyOnZpZXdlcnB3"}  # viewer:viewerpw
    assert rf.call("POST", SUBS, {"Destination": "http://127.0.0.1/"}, headers=viewer).status == 403


def test_a_refused_delivery_is_retried_on_the_clock_then_dropped(rf: Harness) -> None:
    """EventService's DeliveryRetryAttempts / DeliveryRetryIntervalSeconds, on the BMC's clock: the receiver
    answers 500, 0 (unreachable), then 204; a receiver that never accepts gets 1 + attempts tries."""
    service = "/redfish/v1/EventService"
    assert rf.json("GET", service)[1]["DeliveryRetryAttempts"] == 3  # bmcweb's defaults
    assert rf.json("GET", service)[1]["DeliveryRetryIntervalSeconds"] == 30
    status, body = rf.json("PATCH", service, {"DeliveryRetryAttempts": 2, "DeliveryRetryIntervalSeconds": 5})
    assert status == 200 and (body["DeliveryRetryAttempts"], body["DeliveryRetryIntervalSeconds"]) == (2, 5)
    answers = [500, 0, 204]
    tries: list[tuple[float, str]] = []

    def send(url: str, event: dict[str, Any]) -> Deferred[int]:
        tries.append((rf.clock.seconds(), event["Id"]))
        return succeed(answers.pop(0) if answers else 503)

    rf.service.events.send = send
    _, sub = rf.json("POST", SUBS, {"Destination": "http://127.0.0.1:9/events", "EventTypes": ["Alert"]})
    start = rf.clock.seconds()
    rf.call("POST", "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent", {})
    assert tries == [(start, "1")]
    rf.clock.advance(4.9)
    assert len(tries) == 1
    rf.clock.advance(0.1)
    rf.clock.advance(5)
    assert tries == [(start, "1"), (start + 5, "1"), (start + 10, "1")]  # the same event, 5 s apart, then accepted
    hub_sub = rf.service.events.subscriptions[sub["Id"]]
    assert (hub_sub.delivered, hub_sub.failed) == (1, 0)
    rf.call("POST", "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent", {})
    for _ in range(6):
        rf.clock.advance(5)
    assert [i for _, i in tries[3:]] == ["2", "2", "2"] and (hub_sub.delivered, hub_sub.failed) == (1, 1)


def test_unsubscribing_stops_retries_and_bad_retry_settings_are_refused(rf: Harness) -> None:
    tries: list[str] = []

    def send(url: str, event: dict[str, Any]) -> Deferred[int]:
        tries.append(event["Id"])
        return succeed(500)

    rf.service.events.send = send
    _, sub = rf.json("POST", SUBS, {"Destination": "http://127.0.0.1:9/events"})
    rf.call("POST", "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent", {})
    assert rf.call("DELETE", f"{SUBS}/{sub['Id']}").status == 204
    for _ in range(10):
        rf.clock.advance(30)
    assert tries == ["1"] and not rf.clock.getDelayedCalls()
    service = "/redfish/v1/EventService"
    for bad in ({"DeliveryRetryAttempts": 9}, {"DeliveryRetryIntervalSeconds": 0}, {"DeliveryRetryAttempts": "2"}):
        status, body = rf.json("PATCH", service, bad)
        assert status == 400 and next(iter(bad)) in json.dumps(body), body
    assert rf.json("PATCH", service, {"ServiceEnabled": False})[0] == 400
    assert rf.json("GET", service)[1]["DeliveryRetryAttempts"] == 3
