"""Sockets made from the root-namespace process via in_netns/bind_in_netns live in the rack namespace."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Generator
from typing import Any

import pytest
import pytest_twisted

from tests.netns.conftest import RackFactory
from tests.netns.nstools import run_in_netns, uplink_namespace
from vrack.netns import NetnsError, bind_in_netns, in_netns

CLIENT = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(b"ping from uplink", ("{address}", {port}))
data, peer = s.recvfrom(100)
print(data.decode(), peer[0])
"""


def _netns_inode() -> int:
    return os.stat("/proc/thread-self/ns/net").st_ino


def test_udp_socket_bound_inside_answers_a_client_in_the_uplink_namespace(make_rack: RackFactory) -> None:
    """A BMC-style socket on a device address (add_address on mgmt0, port 623) is created with
    bind_in_netns from this process; a client in the uplink namespace reaches it over the veth."""
    with uplink_namespace("vrt-ns-up2") as up:
        net = make_rack("udp", 20, f"netns:{up}")
        net.add_address("mgmt0", "10.232.20.5")
        home = _netns_inode()
        server = net.bind_in_netns(socket.socket, socket.AF_INET, socket.SOCK_DGRAM)
        assert _netns_inode() == home
        with server:
            server.bind(("10.232.20.5", 623))  # binds after switching back: the socket keeps its namespace
            server.settimeout(15)
            seen: list[tuple[bytes, str]] = []

            def serve() -> None:
                data, peer = server.recvfrom(100)
                seen.append((data, peer[0]))
                server.sendto(b"pong from rack", peer)

            thread = threading.Thread(target=serve)
            thread.start()
            out = run_in_netns(up, CLIENT.format(address="10.232.20.5", port=623))
            thread.join(15)
        assert out.split() == ["pong", "from", "rack", "10.232.20.5"]
        assert seen == [(b"ping from uplink", "10.232.20.1")]


def test_address_exists_only_inside_and_in_netns_always_switches_back(make_rack: RackFactory) -> None:
    """The device address cannot be bound in the root namespace; in_netns restores the thread's
    namespace after an exception too; an unknown namespace is a NetnsError."""
    net = make_rack("bind", 21)
    net.add_address("mgmt0", "10.232.21.7")
    home = _netns_inode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outside, pytest.raises(OSError):
        outside.bind(("10.232.21.7", 0))
    with pytest.raises(RuntimeError, match="boom"), net.in_netns():
        assert _netns_inode() != home
        raise RuntimeError("boom")
    assert _netns_inode() == home
    sock = bind_in_netns(net.netns, socket.create_server, ("10.232.21.7", 0), family=socket.AF_INET)
    with sock:
        assert sock.getsockname()[0] == "10.232.21.7"
    with pytest.raises(NetnsError, match="does not exist"), in_netns("vrt-ns-never-made"):
        pass
    assert _netns_inode() == home


@pytest_twisted.inlineCallbacks
def test_twisted_udp_port_listened_inside_the_namespace(make_rack: RackFactory) -> Generator[Any, Any, None]:
    """What the rack does: reactor.listenUDP inside in_netns; the running reactor answers the uplink."""
    from twisted.internet import reactor, threads
    from twisted.internet.protocol import DatagramProtocol

    class Echo(DatagramProtocol):
        def datagramReceived(self, datagram: bytes, addr: tuple[str, int]) -> None:
            assert self.transport is not None
            self.transport.write(b"echo:" + datagram, addr)  # type: ignore[misc,call-arg,arg-type]  # IUDPTransport stub

    with uplink_namespace("vrt-ns-up3") as up:
        net = make_rack("twisted", 22, f"netns:{up}")
        net.add_address("mgmt0", "10.232.22.9")
        port = net.bind_in_netns(reactor.listenUDP, 0, Echo(), interface="10.232.22.9")
        try:
            client = CLIENT.format(address="10.232.22.9", port=port.getHost().port)
            out = yield threads.deferToThread(run_in_netns, up, client)
        finally:
            yield port.stopListening()
        assert out.split() == ["echo:ping", "from", "uplink", "10.232.22.9"]


def test_a_missing_uplink_namespace_says_how_to_create_it() -> None:
    import ipaddress

    import pytest

    from vrack.netns import NetnsError, RackNetwork

    network = RackNetwork(
        "hint-rack",
        ipaddress.IPv4Network("10.239.0.0/24"),
        ipaddress.IPv4Network("10.239.128.0/24"),
        "netns:no-such-ns",
    )
    with pytest.raises(NetnsError, match=r"ip netns add no-such-ns\), or use netns: \{uplink: host\}"):
        network.create()
