"""bmc_sim.protocol: the UDP protocol and the service's binding, in memory and against a real socket."""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
from twisted.internet import defer, error

from bmc_sim import wire
from bmc_sim.protocol import BindError, BmcProtocol, BmcService
from tests.bmc_sim.ipmi_testkit import Rig, make_rig
from tests.bmc_sim.ipmi_testkit.server import BmcServer

PING = wire.encode_asf(wire.AsfMessage(wire.ASF_IANA, wire.ASF_PRESENCE_PING, 7))


@dataclass
class RecordingTransport:
    written: list[tuple[bytes, tuple[str, int]]] = field(default_factory=list)

    def write(self, data: bytes, addr: tuple[str, int]) -> None:
        self.written.append((data, addr))


@dataclass
class FakeHost:
    port: int


@dataclass
class FakePort:
    port: int
    stopped: bool = False

    def getHost(self) -> FakeHost:
        return FakeHost(self.port)

    def stopListening(self) -> defer.Deferred[None]:
        self.stopped = True
        return defer.succeed(None)


@dataclass
class FakeUdpReactor:
    """Records listenUDP calls; ``fail_with`` makes it raise CannotListenError with that errno."""

    fail_with: int | None = None
    calls: list[tuple[int, Any, str]] = field(default_factory=list)
    ports: list[FakePort] = field(default_factory=list)

    def listenUDP(self, port: int, protocol: Any, interface: str = "", maxPacketSize: int = 8192) -> FakePort:
        self.calls.append((port, protocol, interface))
        if self.fail_with is not None:
            raise error.CannotListenError(interface, port, OSError(self.fail_with, os.strerror(self.fail_with)))
        bound = FakePort(port or 40623)
        self.ports.append(bound)
        return bound


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def test_protocol_writes_replies_to_the_sender(rig: Rig) -> None:
    protocol = BmcProtocol(rig.endpoint)
    transport = RecordingTransport()
    protocol.transport = transport  # type: ignore[assignment]
    protocol.datagramReceived(PING, ("127.20.5.5", 5000))
    assert transport.written == [(wire.presence_pong(7), ("127.20.5.5", 5000))]
    protocol.datagramReceived(b"junk", ("127.20.5.5", 5000))
    assert len(transport.written) == 1 and rig.endpoint.stats.malformed == 1


def test_protocol_survives_an_unexpected_exception(rig: Rig) -> None:
    protocol = BmcProtocol(rig.endpoint)
    transport = RecordingTransport()
    protocol.transport = transport  # type: ignore[assignment]
    rig.endpoint.datagram_received = lambda data, peer: 1 / 0  # type: ignore[assignment, method-assign, return-value]
    protocol.datagramReceived(PING, ("127.20.5.5", 5000))
    assert transport.written == [] and rig.endpoint.stats.errors == 1


def test_service_binds_in_start_service_and_closes_in_stop_service(rig: Rig) -> None:
    reactor = FakeUdpReactor()
    service = BmcService(rig.endpoint, "127.20.5.1", 0, reactor=reactor, name="node01")
    assert reactor.calls == [] and service.name == "node01"  # nothing bound by the constructor
    service.startService()
    assert reactor.calls == [(0, service.protocol, "127.20.5.1")] and service.port == 40623 and service.running
    result: list[object] = []
    service.stopService().addCallback(result.append)
    assert result == [None] and reactor.ports[0].stopped and not service.running


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (errno.EACCES, "port 623 needs root or CAP_NET_BIND_SERVICE; run as root or give a port >= 1024"),
        (errno.EADDRINUSE, "address already in use"),
        (errno.EADDRNOTAVAIL, "address not available"),
    ],
)
def test_bind_failures_become_bind_errors(rig: Rig, code: int, text: str) -> None:
    service = BmcService(rig.endpoint, "127.20.5.2", 623, reactor=FakeUdpReactor(fail_with=code))
    with pytest.raises(BindError) as caught:
        service.startService()
    assert (caught.value.device_name, caught.value.address, caught.value.port) == ("bmc-double", "127.20.5.2", 623)
    assert text in str(caught.value) and "bmc-double" in str(caught.value) and not service.running


def test_a_taken_address_gives_a_clear_bind_error() -> None:
    """A real second bind of 127.20.5.3:623 fails with EADDRINUSE, reported as BindError by the server script."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        holder.bind(("127.20.5.3", 623))
        server = BmcServer("127.20.5.3").start()
        assert server.wait() == 3
        assert "BINDERROR" in server.output() and "address already in use" in server.output()
    finally:
        holder.close()
