"""BmcProtocol sends replies on the listening socket directly and falls back to transport.write (real sockets on
127.20.77.0/24, no reactor)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bmc_sim import wire
from bmc_sim.protocol import BmcProtocol
from tests.bmc_sim.ipmi_testkit import Rig, make_rig

PING = wire.encode_asf(wire.AsfMessage(wire.ASF_IANA, wire.ASF_PRESENCE_PING, 9))
PONG = wire.presence_pong(9)


@dataclass
class SocketTransport:
    """What BmcProtocol uses of Twisted's UDP port: ``socket`` and ``write``."""

    socket: Any
    written: list[tuple[bytes, tuple[str, int]]] = field(default_factory=list)

    def write(self, data: bytes, addr: tuple[str, int]) -> None:
        self.written.append((data, addr))


class FailingSocket(socket.socket):
    """A UDP socket whose ``sendto`` fails like a full send buffer."""

    def sendto(self, *args: Any) -> int:
        raise OSError(errno.ENOBUFS, "No buffer space available")


@pytest.fixture
def client() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.20.77.2", 0))
    sock.settimeout(5.0)
    yield sock
    sock.close()


@pytest.fixture
def server_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.20.77.1", 0))
    yield sock
    sock.close()


def test_replies_go_out_on_the_listening_socket(client: socket.socket, server_socket: socket.socket) -> None:
    rig: Rig = make_rig()
    protocol = BmcProtocol(rig.endpoint)
    transport = SocketTransport(server_socket)
    protocol.makeConnection(transport)  # type: ignore[arg-type]
    protocol.datagramReceived(PING, client.getsockname())
    reply, sender = client.recvfrom(4096)
    assert reply == PONG and sender == server_socket.getsockname() and transport.written == []


def test_a_failing_sendto_falls_back_to_transport_write(client: socket.socket) -> None:
    rig: Rig = make_rig()
    protocol = BmcProtocol(rig.endpoint)
    failing = FailingSocket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        transport = SocketTransport(failing)
        protocol.makeConnection(transport)  # type: ignore[arg-type]
        protocol.datagramReceived(PING, client.getsockname())
        assert transport.written == [(PONG, client.getsockname())]
    finally:
        failing.close()


def test_a_restarted_port_sends_on_its_new_socket(client: socket.socket, server_socket: socket.socket) -> None:
    """Stopping forgets the old socket; the next port's socket is used (as BmcService restarts reuse the protocol)."""
    rig: Rig = make_rig()
    protocol = BmcProtocol(rig.endpoint)
    old = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        protocol.makeConnection(SocketTransport(old))  # type: ignore[arg-type]
        protocol.doStop()
        old.close()
        new = SocketTransport(server_socket)
        protocol.makeConnection(new)  # type: ignore[arg-type]
        protocol.datagramReceived(PING, client.getsockname())
        assert client.recvfrom(4096) == (PONG, server_socket.getsockname()) and new.written == []
    finally:
        old.close()


def test_a_transport_without_a_socket_gets_every_reply_written() -> None:
    rig: Rig = make_rig()
    protocol = BmcProtocol(rig.endpoint)
    transport = SocketTransport(None)
    protocol.makeConnection(transport)  # type: ignore[arg-type]
    protocol.datagramReceived(PING, ("127.20.77.3", 5000))
    assert transport.written == [(PONG, ("127.20.77.3", 5000))]
