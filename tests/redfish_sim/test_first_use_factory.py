"""A BMC's Redfish site and TLS wrapper are made at its first connection (redfish_sim.transport): listening
costs a small stand-in factory, and the first connection builds, starts and then reuses the real one."""

from __future__ import annotations

from typing import Any

from twisted.internet import protocol
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock
from twisted.protocols.tls import TLSMemoryBIOFactory

from redfish_sim.tls import CertificateAuthority
from redfish_sim.transport import RedfishListener, _FirstUseFactory

PEER = IPv4Address("TCP", "127.60.93.9", 40000)


class CountingFactory(protocol.Factory):
    def __init__(self) -> None:
        self.starts = self.stops = self.built = 0

    def doStart(self) -> None:
        self.starts += 1

    def doStop(self) -> None:
        self.stops += 1

    def buildProtocol(self, addr: Any) -> protocol.Protocol:
        self.built += 1
        return protocol.Protocol()


def test_the_real_factory_is_made_at_the_first_connection_started_and_then_reused() -> None:
    made: list[CountingFactory] = []

    def build() -> CountingFactory:
        made.append(CountingFactory())
        return made[-1]

    lazy = _FirstUseFactory(build)
    lazy.doStart()
    assert made == []
    lazy.buildProtocol(PEER)
    lazy.buildProtocol(PEER)
    assert len(made) == 1
    assert (made[0].starts, made[0].built) == (1, 2)
    lazy.doStop()
    assert made[0].stops == 1


def test_a_listening_bmc_has_no_site_until_a_client_connects() -> None:
    reactor = MemoryReactorClock()
    authority = CertificateAuthority("lazy-seed", "lazyrack")
    listener = RedfishListener(
        lambda: None,  # type: ignore[arg-type, return-value]  # the service itself is not reached here
        "127.60.93.1",
        reactor=reactor,
        https_port=16443,
        http_port=16080,
        credential=lambda address: authority.issue(address, "node1"),
    )
    listener.startService()
    factories: list[Any] = [factory for _port, factory, _backlog, _interface in reactor.tcpServers]
    assert len(factories) == 2
    assert listener._site is None and listener._tls is None

    https, http = factories
    assert isinstance(https.buildProtocol(PEER).factory, TLSMemoryBIOFactory)
    site = listener._site
    assert site is not None and listener._tls is not None
    http.buildProtocol(PEER)
    assert listener._site is site, "HTTP and HTTPS share one site"
