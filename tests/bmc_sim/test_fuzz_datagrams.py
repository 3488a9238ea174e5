"""Fuzzing the BMC's datagram path (issue 14): any bytes, and valid packets with bytes changed, must be
answered or dropped and counted, never raise, and never hurt the next honest login.  Bounded by
hypothesis's example counts, so CI runs it in seconds."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmc_sim import wire
from tests.bmc_sim.ipmi_testkit import make_rig
from tests.bmc_sim.ipmi_testkit.client import LanplusClient

PEER = ("127.20.0.9", 40000)
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid_packets() -> list[bytes]:
    """Datagrams of a real login and command, captured from the test kit's lanplus client."""
    rig = make_rig()
    sent: list[bytes] = []
    send = rig.sender(PEER)

    def capture(datagram: bytes) -> list[bytes]:
        sent.append(datagram)
        return send(datagram)

    client = LanplusClient(capture, console_session_id=0x11223344)
    client.login()
    client.command(0x06, 0x01)
    return sent


VALID = _valid_packets()


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_are_dropped_or_answered_never_raised(data: bytes) -> None:
    rig = make_rig()
    replies = rig.endpoint.datagram_received(data, PEER)
    assert all(isinstance(reply, bytes) for reply in replies)
    assert rig.endpoint.stats.errors == 0


@FUZZ
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 511), st.integers(0, 255)), max_size=6))
def test_valid_packets_with_bytes_changed_never_break_the_bmc(packet: bytes, changes: list[tuple[int, int]]) -> None:
    rig = make_rig()
    mutated = bytearray(packet)
    for position, value in changes:
        if mutated:
            mutated[position % len(mutated)] = value
    rig.endpoint.datagram_received(bytes(mutated), PEER)
    assert rig.endpoint.stats.errors == 0
    honest = LanplusClient(rig.sender(("127.20.0.10", 40001)), console_session_id=0x55667788)
    honest.login()
    assert honest.command(0x06, 0x01)[0] == 0


def test_the_rmcp_ping_still_gets_its_pong_after_garbage() -> None:
    rig = make_rig()
    for junk in (b"", b"\x06", b"\x06\x00\xff\x06" + bytes(200), bytes(range(256))):
        rig.endpoint.datagram_received(junk, PEER)
    assert rig.endpoint.stats.malformed >= 2
    ping = wire.encode_rmcp(wire.RmcpClass.ASF, bytes([0x00, 0x00, 0x11, 0xBE, 0x80, 0x01, 0x00, 0x00]))
    assert rig.endpoint.datagram_received(ping, PEER)
