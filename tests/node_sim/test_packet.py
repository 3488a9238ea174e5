"""node_sim.packet in memory: frame codec, broadcast flag, PacketLink dispatch, and the host-limits helper."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from node_sim import dhcp
from node_sim.packet import (
    BROADCAST_MAC,
    ETH_P_IP,
    PacketLink,
    clear_broadcast_flag,
    dhcp_filter,
    mac_bytes,
    parse_udp_ipv4,
    udp_ipv4_packet,
)
from vrack.host_limits import host_limits_for, raise_host_limits

MAC = "52:54:00:12:34:56"


def request(flags: int = dhcp.BROADCAST_FLAG) -> bytes:
    return dhcp.encode(dhcp.DhcpPacket(op=dhcp.BOOTREQUEST, xid=7, chaddr=mac_bytes(MAC), flags=flags))


def test_udp_packet_round_trips_and_has_a_valid_ip_checksum() -> None:
    packet = udp_ipv4_packet(b"hello", ("0.0.0.0", 68), ("255.255.255.255", 67))
    assert len(packet) == 20 + 8 + 5
    words = [int.from_bytes(packet[i : i + 2], "big") for i in range(0, 20, 2)]
    total = sum(words)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    assert total == 0xFFFF
    assert parse_udp_ipv4(packet) == (b"hello", ("0.0.0.0", 68))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p[:27],  # too short
        lambda p: bytes([0x65]) + p[1:],  # IPv6 version nibble
        lambda p: p[:9] + bytes([socket.IPPROTO_TCP]) + p[10:],  # not UDP
        lambda p: p[:2] + (len(p) + 10).to_bytes(2, "big") + p[4:],  # IP length beyond the frame
        lambda p: p[:24] + (200).to_bytes(2, "big") + p[26:],  # UDP length beyond the IP packet
    ],
)
def test_parse_rejects_what_is_not_a_whole_ipv4_udp_packet(mangle: Any) -> None:
    packet = udp_ipv4_packet(b"x" * 40, ("10.0.0.1", 67), ("10.0.0.2", 68))
    assert parse_udp_ipv4(mangle(packet)) is None


def test_broadcast_flag_is_cleared_in_requests_only() -> None:
    cleared = clear_broadcast_flag(request())
    assert not dhcp.decode(cleared).broadcast
    assert dhcp.decode(cleared).xid == 7
    reply = bytes([dhcp.BOOTREPLY]) + request()[1:]
    assert clear_broadcast_flag(reply) == reply


def test_filter_embeds_the_mac_and_rejects_a_bad_one() -> None:
    program = dhcp_filter(MAC)
    assert len(program) == 13 * 8
    assert (0x52540012).to_bytes(4, "little") in program and (0x3456).to_bytes(4, "little") in program
    with pytest.raises(ValueError):
        dhcp_filter("52:54:00")


class FakeReactor:
    def __init__(self) -> None:
        self.readers: list[Any] = []
        self.closed_in_thread: list[Any] = []

    def addReader(self, reader: Any) -> None:
        self.readers.append(reader)

    def removeReader(self, reader: Any) -> None:
        self.readers.remove(reader)

    def callInThread(self, fn: Any) -> None:
        self.closed_in_thread.append(fn)
        fn()


class FakeSocket:
    def __init__(self, incoming: list[bytes]) -> None:
        self.incoming = incoming
        self.sent: list[tuple[bytes, Any]] = []
        self.closed = False

    def recv(self, size: int) -> bytes:
        if not self.incoming:
            raise BlockingIOError
        return self.incoming.pop(0)

    def sendto(self, data: bytes, address: Any) -> None:
        self.sent.append((data, address))

    def fileno(self) -> int:
        return 99

    def close(self) -> None:
        self.closed = True


def make_link(incoming: list[bytes]) -> tuple[PacketLink, FakeReactor, FakeSocket, list[Any], list[FakeSocket]]:
    reactor, raw, got, unicast = FakeReactor(), FakeSocket(incoming), [], []

    def open_unicast() -> Any:
        unicast.append(FakeSocket([]))
        return unicast[-1]

    link = PacketLink(reactor, raw, "nic0", lambda d, s: got.append((d, s)), open_unicast)  # type: ignore[arg-type]
    return link, reactor, raw, got, unicast


def test_link_delivers_whole_packets_and_counts_malformed_ones() -> None:
    good = udp_ipv4_packet(b"offer", ("10.1.0.1", 67), ("10.1.0.50", 68))
    link, reactor, _raw, got, _ = make_link([good, b"junk", good])
    assert reactor.readers == [link]
    link.doRead()
    assert got == [(b"offer", ("10.1.0.1", 67))] * 2
    assert link.malformed == 1


def test_broadcast_goes_raw_without_the_flag_and_unicast_through_one_udp_socket() -> None:
    link, _reactor, raw, _got, unicast = make_link([])
    link.send(request(), ("255.255.255.255", 67))
    [(frame, address)] = raw.sent
    assert address == ("nic0", ETH_P_IP, 0, 0, BROADCAST_MAC)
    payload, source = parse_udp_ipv4(frame) or (b"", ("", 0))
    assert source == ("0.0.0.0", 68) and frame[16:20] == b"\xff" * 4
    assert not dhcp.decode(payload).broadcast
    assert unicast == []
    link.send(b"proxy-1", ("10.1.0.1", 4011))
    link.send(b"proxy-2", ("10.1.0.1", 4011))
    assert len(unicast) == 1 and unicast[0].sent == [(b"proxy-1", ("10.1.0.1", 4011)), (b"proxy-2", ("10.1.0.1", 4011))]


def test_close_stops_reading_closes_both_sockets_and_later_sends_are_dropped() -> None:
    link, reactor, raw, _got, unicast = make_link([])
    link.send(b"proxy", ("10.1.0.1", 4011))
    link.close()
    assert reactor.readers == [] and raw.closed and unicast[0].closed and len(reactor.closed_in_thread) == 1
    link.send(request(), ("255.255.255.255", 67))
    assert raw.sent == [] and link.fileno() == -1
    link.close()  # twice is harmless
    assert len(reactor.closed_in_thread) == 1


def write_limits(root: Path, values: dict[str, int]) -> None:
    for key, value in values.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_text(f"{value}\n", encoding="ascii")


def test_host_limits_are_raised_only_where_too_low(tmp_path: Path) -> None:
    root = tmp_path
    wanted = host_limits_for(1000)
    low_key, high_key = "net/ipv4/neigh/default/gc_thresh3", "net/core/netdev_max_backlog"
    write_limits(root, {key: 128 for key in wanted} | {high_key: wanted[high_key] * 2})
    changed = raise_host_limits(1000, root)
    assert changed[low_key] == (128, 8000)
    assert high_key not in changed
    assert int((root / high_key).read_text()) == wanted[high_key] * 2  # never lowered
    assert all(int((root / key).read_text()) >= value for key, value in wanted.items())
    assert raise_host_limits(1000, root) == {}
