"""EventService: subscriptions get an event for every host power change (by Redfish, IPMI or the PDU) and every
new SEL entry; filters, limits and destinations are checked."""

from __future__ import annotations

from typing import Any

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
