"""Transport pieces with real sockets: in_netns, rtnetlink address changes, HTTP from a bound source address."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer
from twisted.web import resource, server, util

from node_sim import ipconfig
from node_sim.http import HttpError, HttpFetcher
from node_sim.netns import NetnsError, in_netns
from node_sim.transport import BoundTcpEndpoint
from tests.node_sim.netlab import ip, require_root_and_tools
from tests.support.reactor import installed_reactor

NS = "vrt-nb-transport"


@pytest.fixture
def netns() -> Iterator[str]:
    require_root_and_tools()
    subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    ip("netns", "add", NS)
    try:
        ip("-n", NS, "link", "add", "d0", "type", "veth", "peer", "name", "d1")
        yield NS
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)


def test_in_netns_switches_the_thread_and_restores_it(netns: str) -> None:
    home = os.stat("/proc/thread-self/ns/net").st_ino
    target = os.stat(f"/run/netns/{netns}").st_ino
    with in_netns(netns):
        assert os.stat("/proc/thread-self/ns/net").st_ino == target
        import socket

        assert {name for _, name in socket.if_nameindex()} == {"lo", "d0", "d1"}
    assert os.stat("/proc/thread-self/ns/net").st_ino == home
    with pytest.raises(RuntimeError), in_netns(netns):
        raise RuntimeError("boom")
    assert os.stat("/proc/thread-self/ns/net").st_ino == home
    with in_netns(None):
        assert os.stat("/proc/thread-self/ns/net").st_ino == home


def test_in_netns_rejects_unknown_and_odd_names() -> None:
    with pytest.raises(NetnsError), in_netns("vrt-nb-does-not-exist"):
        pass
    with pytest.raises(NetnsError), in_netns("../etc"):
        pass


def test_rtnetlink_adds_and_removes_addresses_inside_the_namespace(netns: str) -> None:
    def shown() -> str:
        return subprocess.run(
            ["ip", "-n", netns, "-4", "-o", "addr", "show", "dev", "d0"], capture_output=True, text=True
        ).stdout

    ipconfig.link_up("d0", netns)
    ipconfig.isolate_arp("d0", netns)
    ipconfig.add_address("d0", "10.231.50.7", 24, netns)
    ipconfig.add_address("d0", "10.231.50.7", 24, netns)  # renewing the same lease is fine
    assert "10.231.50.7/24 brd 10.231.50.255" in shown()
    ipconfig.remove_address("d0", "10.231.50.7", 24, netns)
    ipconfig.remove_address("d0", "10.231.50.7", 24, netns)  # already gone: fine
    assert "10.231.50.7" not in shown()
    with in_netns(netns):
        assert Path("/proc/sys/net/ipv4/conf/d0/arp_ignore").read_text().strip() == "1"
        assert Path("/proc/sys/net/ipv4/conf/all/arp_announce").read_text().strip() == "2"
    with pytest.raises(ipconfig.IpConfigError):
        ipconfig.add_address("nope0", "10.231.50.8", 24, netns)


class _Pages(resource.Resource):
    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.clients: list[str] = []

    def render_GET(self, request: Any) -> bytes:
        self.clients.append(request.getClientAddress().host)
        path = request.path.decode()
        if path == "/redirect":
            return util.redirectTo(b"/ok", request)
        if path == "/busy":
            request.setResponseCode(503)
            return b"not yet"
        if path == "/big":
            return b"B" * 200_000
        return b"#!ipxe\necho ok\n"


@pytest_twisted.ensureDeferred
async def test_http_comes_from_the_bound_source_address_follows_redirects_and_fails_on_503() -> None:
    pages = _Pages()
    reactor = installed_reactor()
    port = reactor.listenTCP(0, server.Site(pages), interface="127.23.0.1")
    base = f"http://127.23.0.1:{port.getHost().port}"
    fetcher = HttpFetcher(
        reactor,
        lambda host, p: BoundTcpEndpoint(reactor, host, p, "127.23.0.2", None, None, 5.0),
        timeout=5.0,
    )
    try:
        ok = await fetcher.get(f"{base}/redirect")
        assert ok.status == 200 and ok.body == b"#!ipxe\necho ok\n" and ok.url == f"{base}/ok"
        big = await fetcher.get(f"{base}/big", keep=False)
        assert big.size == 200_000 and big.body is None
        with pytest.raises(HttpError) as busy:
            await fetcher.get(f"{base}/busy")
        assert busy.value.status == 503
        assert pages.clients and set(pages.clients) == {"127.23.0.2"}
        with pytest.raises(HttpError) as refused:
            await fetcher.get("http://127.23.0.1:9/none")  # nothing listens on the discard port here
        assert refused.value.status == 0
    finally:
        await defer.maybeDeferred(port.stopListening)
