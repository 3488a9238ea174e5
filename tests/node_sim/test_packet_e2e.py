"""NetnsIO's packet-socket DHCP port on a real veth pair in a namespace (root): the kernel's BPF filter passes
only DHCP replies for the NIC's own MAC, and requests leave as broadcast frames without the broadcast flag."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from node_sim import dhcp
from node_sim.netns import in_netns
from node_sim.packet import ETH_P_IP, PacketLink, mac_bytes, parse_udp_ipv4, udp_ipv4_packet
from node_sim.transport import NetnsIO
from tests.support.privileges import require_root

pytestmark = pytest.mark.e2e
NODE_MAC, OTHER_MAC = "52:54:00:aa:00:01", "52:54:00:aa:00:02"


class InlineReactor:
    """Just what PacketLink asks of a reactor; the test polls ``doRead`` itself."""

    def addReader(self, reader: Any) -> None: ...

    def removeReader(self, reader: Any) -> None: ...

    def callInThread(self, fn: Any) -> None:
        fn()


@pytest.fixture
def netns() -> Iterator[str]:
    require_root("packet sockets and namespaces need root (CI runs as root)")
    name = f"vrt-pk-{os.getpid()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        batch = f"link add pka address {NODE_MAC} type veth peer name pkb\nlink set pka up\nlink set pkb up\n"
        subprocess.run(["ip", "-n", name, "-batch", "-"], input=batch, text=True, check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)


def server_socket(netns: str) -> socket.socket:
    with in_netns(netns):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    sock.bind(("pkb", ETH_P_IP))
    sock.settimeout(5.0)
    return sock


def reply(chaddr: str, xid: int) -> bytes:
    packet = dhcp.DhcpPacket(op=dhcp.BOOTREPLY, xid=xid, chaddr=mac_bytes(chaddr), yiaddr="10.239.0.50")
    return udp_ipv4_packet(dhcp.encode(packet), ("10.239.0.1", 67), ("10.239.0.50", 68))


def test_only_replies_for_the_nics_mac_arrive_and_requests_ask_for_unicast(netns: str) -> None:
    got: list[tuple[bytes, tuple[str, int]]] = []
    link = NetnsIO(InlineReactor(), netns).open_udp("pka", "0.0.0.0", 68, lambda d, s: got.append((d, s)))
    assert isinstance(link, PacketLink)
    server = server_socket(netns)
    try:
        request = dhcp.DhcpPacket(op=dhcp.BOOTREQUEST, xid=42, chaddr=mac_bytes(NODE_MAC), flags=dhcp.BROADCAST_FLAG)
        link.send(dhcp.encode(request), ("255.255.255.255", 67))
        deadline = time.monotonic() + 5.0
        seen = None
        while seen is None and time.monotonic() < deadline:
            frame, where = server.recvfrom(2048)
            parsed = parse_udp_ipv4(frame)
            if parsed is not None and parsed[1] == ("0.0.0.0", 68):
                seen = (dhcp.decode(parsed[0]), where)
        assert seen is not None, "the broadcast DISCOVER never reached the other end of the veth"
        assert seen[0].xid == 42 and not seen[0].broadcast
        assert seen[1][4] == mac_bytes(NODE_MAC)  # sent from the NIC's MAC ...
        server.sendto(reply(OTHER_MAC, 1), ("pkb", ETH_P_IP, 0, 0, b"\xff" * 6))  # ... another NIC's: filtered
        server.sendto(reply(NODE_MAC, 2), ("pkb", ETH_P_IP, 0, 0, mac_bytes(NODE_MAC)))
        server.sendto(reply(OTHER_MAC, 3), ("pkb", ETH_P_IP, 0, 0, b"\xff" * 6))
        server.sendto(reply(NODE_MAC, 4), ("pkb", ETH_P_IP, 0, 0, b"\xff" * 6))
        deadline = time.monotonic() + 5.0
        while len(got) < 2 and time.monotonic() < deadline:
            link.doRead()
            time.sleep(0.01)
        link.doRead()
        assert [dhcp.decode(data).xid for data, _ in got] == [2, 4]
        assert {source for _, source in got} == {("10.239.0.1", 67)}
        assert link.malformed == 0
    finally:
        link.close()
        server.close()
    assert link.fileno() == -1


def test_packet_dhcp_can_be_turned_off(netns: str) -> None:
    """``packet_dhcp=False`` keeps the UDP socket (the fallback without CAP_NET_RAW)."""
    from twisted.internet import reactor

    link = NetnsIO(reactor, netns, packet_dhcp=False).open_udp("pka", "0.0.0.0", 68, lambda d, s: None)
    try:
        assert not isinstance(link, PacketLink)
    finally:
        link.close()
