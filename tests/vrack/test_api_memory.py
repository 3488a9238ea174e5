"""The control API in memory: routes, faults, long polls, and every error as JSON with a 4xx."""

from __future__ import annotations

import json

import pytest
from twisted.web.test.requesthelper import DummyChannel

from tests.vrack.inmemory import MemoryRack
from vrack.api_input import MAX_BODY, LimitedRequest


def test_rack_and_devices() -> None:
    m = MemoryRack()
    rack = m.call("GET", "/api/v1/rack")
    assert rack.status == 200 and rack.body["devices"] == {"compute": 3, "pdu": 1, "switch": 1}
    names = [d["name"] for d in m.call("GET", "/api/v1/devices").body]
    assert names == ["node01", "node02", "node03", "pdu1", "sw1"]
    node = m.call("GET", "/api/v1/devices/node01").body
    assert node["bmc"]["users"] == ["admin"] and "password" not in str(node)


def test_power_outlet_and_cable_routes_act_and_return_the_device() -> None:
    m = MemoryRack()
    m.advance(3)
    assert m.call("POST", "/api/v1/devices/node01/power", {"action": "on"}).body["power"] is True
    outlets = m.call("POST", "/api/v1/pdus/pdu1/outlets/1", {"action": "off"}).body["outlets"]
    assert outlets[0]["on"] is False
    ports = m.call("POST", "/api/v1/switches/sw1/ports/2", {"plugged": False}).body["ports"]
    assert ports[1]["oper_up"] is False


def test_fault_routes_inject_list_and_clear() -> None:
    m = MemoryRack()
    m.advance(3)
    created = m.call("POST", "/api/v1/faults", {"kind": "bmc-hang", "target": "node02"})
    assert created.status == 201 and created.body["devices"] == ["node02"]
    listed = m.call("GET", "/api/v1/faults").body
    assert [f["id"] for f in listed["active"]] == [created.body["id"]]
    assert {k["name"] for k in listed["kinds"]} >= {"bmc-hang", "port-flap", "outlet-stuck"}
    refused = m.call("POST", "/api/v1/devices/node02/power", {"action": "on"})
    assert refused.status == 409 and "not answering" in refused.body["error"]
    assert m.call("DELETE", f"/api/v1/faults/{created.body['id']}").status == 200
    assert m.call("GET", "/api/v1/faults").body["active"] == []


def test_a_long_poll_returns_when_an_event_arrives() -> None:
    m = MemoryRack()
    m.advance(3)
    last = m.journal.last_seq
    m.reactor.callLater(1.0, m.rack.switch_outlet, "pdu1", 5, "off", "test")
    found = m.call("GET", f"/api/v1/events?after={last}&wait=30")
    # the answer carries the whole flushed batch: the request to switch the outlet, then the outlet going off
    assert [(e["protocol"], e["operation"]) for e in found.body["events"]] == [
        ("control", "outlet"),
        ("power", "outlet"),
    ]
    assert m.reactor.seconds() < 10


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "parameter"),
    [
        ("GET", "/nothing", None, 404, "path"),
        ("GET", "/api/v1/teapot", None, 404, "path"),
        ("GET", "/api/v1/devices/nobody", None, 404, "name"),
        ("POST", "/api/v1/devices/sw1/power", b'{"action": "on"}', 409, "name"),
        ("POST", "/api/v1/devices/node01/power", b'{"action": "up"}', 400, "action"),
        ("POST", "/api/v1/devices/node01/power", b"{not json", 400, "body"),
        ("POST", "/api/v1/devices/node01/power", b'["on"]', 400, "body"),
        ("POST", "/api/v1/devices/node01/power", b'{"action": "\xff\xfe"}', 400, "body"),
        ("POST", "/api/v1/devices/node01/power", b"[" * 100_000 + b"]" * 100_000, 400, "body"),
        ("POST", "/api/v1/pdus/pdu1/outlets/\u00b2", b'{"action": "off"}', 400, "outlet"),
        ("POST", "/api/v1/pdus/pdu1/outlets/99", b'{"action": "off"}', 400, "outlet"),
        ("POST", "/api/v1/switches/sw1/ports/\u0663", b'{"plugged": false}', 400, "port"),
        ("POST", "/api/v1/switches/sw1/ports/7", b'{"plugged": false}', 404, "port"),
        ("POST", "/api/v1/switches/sw1/ports/1", b'{"plugged": "no"}', 400, "plugged"),
        ("GET", "/api/v1/events?limit=-1", None, 400, "limit"),
        ("GET", "/api/v1/events?after=%D9%A3", None, 400, "after"),
        ("GET", "/api/v1/events?device=ghost", None, 404, "device"),
        ("DELETE", "/api/v1/faults/7", None, 404, "id"),
        ("POST", "/api/v1/faults", b'{"kind": "bmc-hang"}', 400, "target"),
    ],
)
def test_every_bad_request_gets_a_json_4xx_naming_the_parameter(
    method: str, path: str, body: bytes | None, status: int, parameter: str
) -> None:
    m = MemoryRack()
    response = m.call(method, path, raw=body)
    assert response.status == status, response.body
    assert response.body["parameter"] == parameter and response.body["error"]


def test_a_path_that_is_not_utf8_is_a_400() -> None:
    m = MemoryRack()
    response = m.call("GET", "/api/v1/devices/\udcff")
    assert response.status == 400 and response.body["parameter"] == "path"


def test_an_oversized_body_is_dropped_as_it_arrives_and_refused_with_413() -> None:
    request = LimitedRequest(DummyChannel(), False)
    request.gotLength(None)  # chunked: no length up front
    for _ in range(3):
        request.handleContentChunk(b"x" * (MAX_BODY // 2 + 1))
    assert request.too_large and request.content.tell() == 0  # type: ignore[union-attr]
    m = MemoryRack()
    response = m.call("POST", "/api/v1/devices/node01/power", raw=b"{}")
    assert response.status in (200, 400)  # a normal body still works
    announced = LimitedRequest(DummyChannel(), False)
    announced.gotLength(100 * MAX_BODY)
    assert announced.too_large


def test_a_remotely_reachable_api_answers_only_requests_with_its_token() -> None:
    m = MemoryRack(token="s3cret-token")
    refused = m.call("GET", "/api/v1/rack")
    assert refused.status == 401 and refused.body["parameter"] == "token"
    assert "s3cret" not in json.dumps(refused.body)
    wrong = m.call("GET", "/api/v1/rack", headers={"Authorization": "Bearer guess"})
    assert wrong.status == 401
    assert m.call("GET", "/api/v1/rack", headers={"Authorization": "Bearer s3cret-token"}).status == 200


def test_credentials_are_served_live_to_the_owner_and_nowhere_else() -> None:
    m = MemoryRack()
    creds = m.call("GET", "/api/v1/credentials").body
    assert creds["node01"]["bmc"]["users"] == [
        {"id": 2, "name": "admin", "password": "admin", "privilege": "administrator"}
    ]
    assert creds["pdu1"]["snmp"]["communities"] == [
        {"name": "public", "access": "ro"},
        {"name": "private", "access": "rw"},
    ]
    assert m.call("GET", "/api/v1/devices/node03/credentials").body["bmc"]["users"][0]["name"] == "admin"
    assert "password" not in json.dumps(m.call("GET", "/api/v1/devices").body)
    assert "private" not in json.dumps(m.call("GET", "/api/v1/devices").body)


def test_scenario_routes_validate_run_and_cancel() -> None:
    m = MemoryRack()
    bad = m.call("POST", "/api/v1/scenarios", {"text": "scenario: s\nsteps: []\n", "source": "s.yaml"})
    assert bad.status == 400 and bad.body["parameter"] == "text" and "s.yaml:2: steps" in bad.body["error"]
    text = (
        "scenario: s\nsteps:\n  - {at: 1, fault: {kind: bmc-hang, target: node01}, name: hang}\n  - {at: 9, note: x}\n"
    )
    run = m.call("POST", "/api/v1/scenarios", {"text": text})
    assert run.status == 201 and run.body["state"] == "running"
    m.advance(2)
    assert m.call("GET", "/api/v1/faults").body["active"][0]["kind"] == "bmc-hang"
    cancelled = m.call("DELETE", f"/api/v1/scenarios/{run.body['id']}").body
    assert cancelled["state"] == "cancelled" and m.call("GET", "/api/v1/faults").body["active"] == []
    assert m.call("GET", "/api/v1/scenarios").body[0]["done_steps"] == 1
