"""Rack elevation from the spec (u, height, units), the /layout route, and the live state the web view draws.

Identify, BMC state and sessions are read through the control API of a rack in memory; ``chassis
identify`` goes through the BMC's own command handler, as ipmitool's request would.
"""

from __future__ import annotations

import pytest

from bmc_sim.config import Privilege
from bmc_sim.message import IpmiRequest, RequestContext
from tests.vrack.inmemory import SMALL, MemoryRack
from vrack.elevation import place
from vrack.spec import SpecError, parse_spec

HEAD = "rack: el\nnetworks: {management: 127.68.9.0/24}\n"


def placements(text: str) -> dict[str, tuple[int, int, int]]:
    return {p.name: (p.cabinet, p.u, p.height) for p in place(parse_spec(HEAD + text))}


def test_defaults_hang_switches_at_the_top_then_nodes_and_pdus_at_the_side() -> None:
    got = placements(
        "devices:\n"
        "  - {name: 'node{n:02d}', kind: compute, count: 3}\n"
        "  - {name: pdu1, kind: pdu}\n"
        "  - {name: sw1, kind: switch}\n"
        "  - {name: big, kind: compute, height: 2}\n"
    )
    assert got == {
        "sw1": (1, 42, 1),
        "node01": (1, 41, 1),
        "node02": (1, 40, 1),
        "node03": (1, 39, 1),
        "big": (1, 37, 2),
        "pdu1": (1, 0, 0),
    }


def test_explicit_units_stack_upwards_and_auto_placement_goes_around_them() -> None:
    got = placements(
        "units: 8\ndevices:\n"
        "  - {name: 'n{n}', kind: compute, count: 2, u: 7}\n"
        "  - {name: sw1, kind: switch}\n"
        "  - {name: low, kind: compute, u: 1, height: 2}\n"
    )
    assert got == {"n1": (1, 7, 1), "n2": (1, 8, 1), "sw1": (1, 6, 1), "low": (1, 1, 2)}


def test_a_large_rack_fills_further_cabinets_and_pdus_follow_their_nodes() -> None:
    text = (
        "devices:\n  - {name: 'node{n:03d}', kind: compute, count: 100}\n  - {name: pdu9, kind: pdu}\n"
        "power:\n  - {outlet: pdu9/1, to: node090/psu1}\n"
    )
    got = placements(text)
    assert got["node001"] == (1, 42, 1) and got["node042"] == (1, 1, 1)
    assert got["node043"] == (2, 42, 1) and got["node100"] == (3, 27, 1)
    assert got["pdu9"] == (3, 0, 0)


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        ("  - {name: a, kind: compute, u: 3}\n  - {name: b, kind: compute, u: 3}\n", r"b at U3 overlaps a"),
        ("  - {name: 'n{n}', kind: compute, count: 3, u: 41}\n", r"3 devices of 1U from U41 reach U43.*42 units"),
    ],
)
def test_overlapping_or_overflowing_units_are_located_errors(devices: str, message: str) -> None:
    with pytest.raises(SpecError, match=r"<spec>:\d+: devices\[\d\]\.u: " + message):
        parse_spec(HEAD + "devices:\n" + devices, source="<spec>")


def test_layout_route_gives_places_feeds_and_live_cables() -> None:
    m = MemoryRack()
    layout = m.call("GET", "/api/v1/layout").body
    assert layout["units"] == 42 and layout["cabinets"] == 1
    assert [(d["name"], d["u"]) for d in layout["devices"]] == [
        ("node01", 41),
        ("node02", 40),
        ("node03", 39),
        ("pdu1", 0),
        ("sw1", 42),
    ]
    assert {"pdu": "pdu1", "outlet": 4, "node": "node03", "psu": 2} in layout["feeds"]
    m.call("POST", "/api/v1/switches/sw1/ports/2", {"plugged": False})
    cables = m.call("GET", "/api/v1/layout").body["cables"]
    assert [(c["node"], c["port"], c["plugged"]) for c in cables] == [
        ("node01", 1, True),
        ("node02", 2, False),
        ("node03", 3, True),
    ]


def test_identify_bmc_state_and_sessions_are_in_the_node_view() -> None:
    m = MemoryRack(SMALL)
    view = m.call("GET", "/api/v1/devices/node01").body
    assert view["bmc"]["state"] == "answering" and view["bmc"]["sessions"] == []
    assert view["identify"] == {"state": "off", "remaining": None}
    bmc = m.rack.nodes["node01"].bmc  # type: ignore[attr-defined]
    ctx = RequestContext(peer=("127.68.0.9", 40000), privilege=Privilege.OPERATOR)
    assert bmc.handle(IpmiRequest(0x00, 0x04, bytes([10])), ctx).completion_code == 0
    assert m.call("GET", "/api/v1/devices/node01").body["identify"] == {"state": "temporary", "remaining": 10.0}
    m.advance(10.5)
    assert m.call("GET", "/api/v1/devices/node01").body["identify"]["state"] == "off"
    assert bmc.handle(IpmiRequest(0x00, 0x04, bytes([0, 1])), ctx).completion_code == 0
    assert m.call("GET", "/api/v1/devices/node01").body["identify"] == {"state": "on", "remaining": None}
    m.call("POST", "/api/v1/pdus/pdu1/outlets/1", {"action": "off"})
    assert m.call("GET", "/api/v1/devices/node01").body["bmc"]["state"] == "dark"
    m.call("POST", "/api/v1/pdus/pdu1/outlets/1", {"action": "on"})
    bmc_view = m.call("GET", "/api/v1/devices/node01").body["bmc"]
    assert bmc_view["state"] == "booting" and bmc_view["state_for"] == pytest.approx(2.0)
    m.advance(2.5)
    assert m.call("GET", "/api/v1/devices/node01").body["bmc"]["state"] == "answering"
