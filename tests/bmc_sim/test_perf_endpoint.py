"""The request path's shortcuts behave like the general code: RMCP fast path, direct response encoding,
per-session request contexts and remembered command names (in memory, fake clock)."""

from __future__ import annotations

import random

import pytest

from bmc_sim import wire
from bmc_sim.config import Privilege
from tests.bmc_sim.ipmi_testkit import Rig, make_rig
from tests.bmc_sim.ipmi_testkit.client import LanplusClient, lan_request

PEER = ("127.20.77.9", 40000)


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def test_encode_response_is_the_encoded_response_message() -> None:
    rng = random.Random(7)
    for _ in range(500):
        request = wire.LanMessage(
            rng.randrange(256),
            rng.randrange(0, 64, 2),
            rng.randrange(4),
            rng.randrange(256),
            rng.randrange(64),
            rng.randrange(4),
            rng.randrange(256),
            rng.randbytes(rng.randrange(20)),
        )
        code, data = rng.randrange(256), rng.randbytes(rng.randrange(40))
        expected = wire.encode_lan_message(wire.response_to(request, code, data))
        assert wire.encode_response(request, code, data) == expected


def _sessionless_auth_caps(class_byte: int) -> bytes:
    """Get Channel Authentication Capabilities outside a session, IPMI 1.5 framing, with ``class_byte``."""
    body = wire.encode_session15(wire.Session15Header(0, 0, 0), lan_request(0x06, 0x38, b"\x8e\x04"))
    return bytes([wire.RMCP_VERSION_1, 0, 0xFF, class_byte]) + body


def test_rmcp_class_bytes_route_as_the_header_decoder_says(rig: Rig) -> None:
    """0x07 (the fast path) and 0x27 (reserved bits set, the general decoder) get the same answer; an ACK
    (0x87) gets none; a bare IPMI-class header is malformed; an RMCP+ body takes the same fast path."""
    answer = rig.endpoint.datagram_received(_sessionless_auth_caps(0x07), PEER)
    assert len(answer) == 1
    assert rig.endpoint.datagram_received(_sessionless_auth_caps(0x27), PEER) == answer
    assert rig.endpoint.datagram_received(_sessionless_auth_caps(0x87), PEER) == []
    assert rig.endpoint.datagram_received(b"\x06\x00\xff\x07", PEER) == [] and rig.endpoint.stats.malformed == 1
    assert rig.endpoint.datagram_received(b"\x05\x00\xff\x07\x06", PEER) == [] and rig.endpoint.stats.malformed == 2
    client = LanplusClient(rig.sender(PEER))
    client.login()
    assert client.command(0x00, 0x01)[0] == 0 and rig.records[-1].command == "chassis.get_status"


def test_the_device_sees_the_current_peer_and_privilege(rig: Rig) -> None:
    """The request context a session reuses follows a new source port and a Set Session Privilege Level."""
    peer = [PEER]
    client = LanplusClient(lambda datagram: rig.endpoint.datagram_received(datagram, peer[0]))
    client.login()
    assert client.command(0x00, 0x01)[0] == 0
    first = rig.device.requests[-1][1]
    assert client.command(0x00, 0x01)[0] == 0
    assert rig.device.requests[-1][1] is first  # one context while nothing changes
    peer[0] = ("127.20.77.9", 40001)
    assert client.command(0x00, 0x01)[0] == 0
    assert rig.device.requests[-1][1].peer == ("127.20.77.9", 40001) and rig.records[-1].peer == peer[0]
    assert client.command(0x06, 0x3B, bytes([Privilege.USER]))[0] == 0
    assert client.command(0x00, 0x02, b"\x01")[0] == 0xD4  # chassis control needs OPERATOR
    context = rig.device.requests[-1][1]
    assert (
        context.privilege == Privilege.USER
        and context.user_name == "admin"
        and context.session_id == (client.bmc_session_id)
    )


def test_command_names_stay_right_when_remembered(rig: Rig) -> None:
    """Records name each command, also the second time (from the endpoint's memory) and for unknown ones."""
    client = LanplusClient(rig.sender(PEER))
    client.login()
    for _ in range(2):
        client.command(0x00, 0x01)
        client.command(0x06, 0x01)
        client.command(0x2E, 0x01)
        client.command(0x06, 0x3D, b"\x00")
    names = [record.command for record in rig.records[-8:]]
    expected = ["chassis.get_status", "app.get_device_id", "netfn2e.cmd01", "app.get_session_info"]
    assert names == expected * 2
