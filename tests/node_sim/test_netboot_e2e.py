"""End to end: simulated nodes network-boot against a REAL dnsmasq (DHCP + TFTP) in network namespaces.

Topology (netlab.ProvisioningNet): ``vrt-nb-srv-*`` holds bridge br0 (10.231.<n>.1/24), dnsmasq, the
southbound HTTP double (profiles, kernel, initrd on :9030) and, for the proxy test, an on-dhcp-proxy
double on :4011; ``vrt-nb-cli-*`` holds one veth per node.  Each node: PXE ROM DHCP -> TFTP
monorail*.ipxe -> iPXE DHCP with user class MonoRail / option 175 -> chain the HTTP profiles ->
RackHD redirect -> rancherOS profile -> kernel outcome.  Timings of 1 and 20 parallel boots are
printed (``pytest -s``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task, utils

from node_sim.bootlog import BootEvent
from node_sim.netboot import NetbootNode
from node_sim.netboot_types import BootOutcome, NicConfig
from node_sim.transport import NetnsIO
from tests.node_sim.netlab import (
    DhcpProxyDouble,
    ProvisioningNet,
    Southbound,
    listen_http,
    listen_proxy,
    require_root_and_tools,
)
from tests.support.reactor import installed_reactor

pytestmark = pytest.mark.e2e
SUBNET = 11
PARALLEL = 20
NODES = 1 + PARALLEL + 1 + 2  # single, parallel, CLI, cancel pair
IPXE_BINARY = b"\x55\xaa" + b"MonoRail iPXE binary stand-in " * 2000  # ~60 KiB: many TFTP blocks


def node_uuid(index: int) -> str:
    return f"4c4c4544-0000-1000-8000-{SUBNET:04x}{index:08x}"


class Lab:
    def __init__(self, net: ProvisioningNet, southbound: Southbound) -> None:
        self.net = net
        self.southbound = southbound

    def node(self, index: int, events: list[BootEvent], io: Any = None) -> NetbootNode:
        nic = NicConfig(self.net.mac(index), self.net.interface(index))
        io = io or NetnsIO(reactor, self.net.cli)
        return NetbootNode([nic], node_uuid(index), reactor, io, events.append, name=f"node{index}")


def southbound_for(server: str) -> Southbound:
    southbound = Southbound(server, 9030)
    southbound.files = {"vmlinuz-1.2.0-rancher": b"K" * 300_000, "initrd-1.2.0-rancher": b"I" * 900_000}
    return southbound


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """dnsmasq as RackHD's no-proxy DHCP: monorail.ipxe for the ROM, the profiles URL for iPXE (option 175)."""
    require_root_and_tools()
    work = tmp_path_factory.mktemp("netboot")
    (work / "tftp").mkdir()
    (work / "tftp" / "monorail.ipxe").write_bytes(IPXE_BINARY)
    net = ProvisioningNet("e2e", SUBNET, NODES, work)
    southbound = southbound_for(net.server)
    port = None
    try:
        net.create()
        port = listen_http(reactor, net.srv, southbound)
        net.start_dnsmasq(
            work / "tftp",
            "--dhcp-boot=monorail.ipxe",
            "--dhcp-match=set:ipxe,175",
            f"--dhcp-boot=tag:ipxe,http://{net.server}:9030/api/current/profiles",
        )
        yield Lab(net, southbound)
    finally:
        if port is not None:
            pytest_twisted.blockon(defer.maybeDeferred(port.stopListening))
        net.close()


def addresses(net: ProvisioningNet, interface: str) -> str:
    return subprocess.run(
        ["ip", "-n", net.cli, "-4", "-o", "addr", "show", "dev", interface], capture_output=True, text=True, check=True
    ).stdout


def check_kernel_outcome(lab: Lab, outcome: BootOutcome, index: int) -> None:
    server = lab.net.server
    assert outcome.kind == "kernel", outcome
    assert outcome.kernel == f"http://{server}:9030/common/vmlinuz-1.2.0-rancher"
    assert outcome.initrd == (f"http://{server}:9030/common/initrd-1.2.0-rancher",)
    assert outcome.kernel_size == 300_000
    assert f"nodeId=n-{lab.net.mac(index)[-5:]}" in outcome.args and "rancher.password=monorail" in outcome.args
    assert outcome.nic == NicConfig(lab.net.mac(index), lab.net.interface(index))
    assert outcome.ip is not None and outcome.ip.startswith(f"10.231.{SUBNET}.")
    assert f"{outcome.ip}/24" in addresses(lab.net, lab.net.interface(index))


@pytest_twisted.ensureDeferred
async def test_one_node_boots_from_dnsmasq_through_ipxe_to_the_rancher_kernel(lab: Lab) -> None:
    events: list[BootEvent] = []
    started = time.monotonic()
    outcome = await lab.node(0, events).boot("pxe")
    elapsed = time.monotonic() - started
    print(f"\n[timing] 1 node, PXE ROM to kernel outcome: {elapsed * 1000:.0f} ms")
    check_kernel_outcome(lab, outcome, 0)
    names = [e.event for e in events]
    # DHCP three times: the PXE ROM, iPXE's autoboot, and the profile boilerplate's `ifconf net0`.
    assert names.count("dhcp.ack") == 3 and names[-1] == "boot.outcome"
    discovers = [e.fields for e in events if e.event == "dhcp.discover"]
    assert [d["mode"] for d in discovers] == ["pxe", "ipxe", "ipxe"]
    assert [d["user_class"] for d in discovers] == [None, "MonoRail", "MonoRail"]
    tftp = next(e.fields for e in events if e.event == "tftp.fetch")
    assert tftp["url"] == f"tftp://{lab.net.server}/monorail.ipxe" and tftp["size"] == len(IPXE_BINARY)
    assert tftp["blksize"] == 1432 and tftp["tsize"] == len(IPXE_BINARY)
    http = [e.fields for e in events if e.event == "http.fetch"]
    assert [h["verb"] for h in http] == ["chain", "chain", "kernel", "imgfetch"]
    assert all(h["source"] == outcome.ip for h in http)
    journal = [json.dumps(e.as_dict()) for e in events]
    assert not any("password=monorail" in line for line in journal) and "rancher.password=***" in journal[-1]
    # RackHD finds the node by the source address of its requests: the double saw the leased address.
    mine = [(src, path) for src, path in lab.southbound.requests if lab.net.mac(0) in path or src == outcome.ip]
    assert mine and all(src == outcome.ip for src, _ in mine)
    log = lab.net.dnsmasq_log()
    assert f"DHCPACK(br0) {outcome.ip} {lab.net.mac(0)}" in log
    assert f"sent {lab.net.workdir / 'tftp' / 'monorail.ipxe'} to {outcome.ip}" in log


@pytest_twisted.ensureDeferred
async def test_twenty_nodes_boot_at_once(lab: Lab) -> None:
    indices = range(1, 1 + PARALLEL)
    events: list[BootEvent] = []
    started = time.monotonic()
    outcomes = await defer.gatherResults([lab.node(i, events).boot("pxe") for i in indices])
    elapsed = time.monotonic() - started
    print(f"\n[timing] {PARALLEL} nodes in parallel, PXE ROM to kernel outcome: {elapsed * 1000:.0f} ms")
    for index, outcome in zip(indices, outcomes, strict=True):
        check_kernel_outcome(lab, outcome, index)
    assert len({o.ip for o in outcomes}) == PARALLEL
    by_source: dict[str, set[str]] = {}
    for src, path in lab.southbound.requests:
        by_source.setdefault(src, set()).add(path)
    for outcome in outcomes:
        assert any(outcome.nic is not None and outcome.nic.mac in p for p in by_source[str(outcome.ip)])


@pytest_twisted.ensureDeferred
async def test_cli_boots_one_node_and_prints_json_lines(lab: Lab) -> None:
    index = 1 + PARALLEL
    args = ["-m", "node_sim", "--netns", lab.net.cli, "--interface", lab.net.interface(index)]
    args += ["--mac", lab.net.mac(index), "--name", "cli-node"]
    # Run through the reactor: the HTTP double lives on this process's reactor and must keep serving.
    run = utils.getProcessOutputAndValue(sys.executable, args, env=None)
    run.addTimeout(60, reactor)
    stdout, stderr, code = await run
    assert code == 0, stderr.decode()
    lines = [json.loads(line) for line in stdout.decode().splitlines()]
    assert lines and all("event" in line or "outcome" in line for line in lines)
    events = [line["event"] for line in lines if "event" in line]
    assert events[:2] == ["boot.start", "dhcp.discover"] and "tftp.fetch" in events
    assert any(line.get("event") == "ipxe.echo" and line["text"] == "MonoRail iPXE" for line in lines)
    outcome = lines[-1]["outcome"]
    assert outcome["kind"] == "kernel" and outcome["kernel"].endswith("/common/vmlinuz-1.2.0-rancher")
    assert outcome["mac"] == lab.net.mac(index) and outcome["ip"].startswith(f"10.231.{SUBNET}.")
    assert "rancher.password=monorail" in outcome["args"]  # the outcome keeps it; the events do not
    assert all("password=monorail" not in json.dumps(line) for line in lines[:-1])


class CountingIO:
    """NetnsIO that counts every datagram the node tries to send, and those after a moment of interest."""

    def __init__(self, inner: NetnsIO) -> None:
        self.inner = inner
        self.sent = 0
        self.sent_after_cancel = 0
        self.cancelled = False

    def open_udp(self, interface: str, bind_ip: str, port: int, receiver: Any) -> Any:
        link = self.inner.open_udp(interface, bind_ip, port, receiver)
        outer = self

        class Counting:
            def send(self, data: bytes, address: tuple[str, int]) -> None:
                outer.sent += 1
                outer.sent_after_cancel += outer.cancelled
                link.send(data, address)

            def close(self) -> None:
                link.close()

        return Counting()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest_twisted.ensureDeferred
async def test_cancel_mid_boot_sends_nothing_more(lab: Lab) -> None:
    index = 2 + PARALLEL
    io = CountingIO(NetnsIO(reactor, lab.net.cli))
    events: list[BootEvent] = []
    node = lab.node(index, events, io)

    def observe(event: BootEvent) -> None:
        events.append(event)
        if event.event == "pxe.nbp":  # the ROM has its boot file; iPXE is about to DHCP again
            installed_reactor().callLater(0, power_off)

    def power_off() -> None:
        node.cancel()
        io.cancelled = True

    node.emit.observer = observe
    outcome = await node.boot("pxe")
    assert outcome.kind == "cancelled" and io.sent > 0
    # A witness node boots completely (DHCP twice, TFTP, HTTP) while the cancelled one stays silent.
    witness = await lab.node(index + 1, []).boot("pxe")
    assert witness.kind == "kernel"
    await task.deferLater(reactor, 0.5, lambda: None)  # let any stray timer of the cancelled node fire
    assert io.sent_after_cancel == 0
    assert events[-1].event == "boot.outcome" and events[-1].fields["kind"] == "cancelled"
    log = lab.net.dnsmasq_log()
    mac = lab.net.mac(index)
    # The ROM's exchange, then at most the first iPXE DISCOVER (sent in the same reactor turn as the ROM
    # finished); dnsmasq offered, but no REQUEST followed.
    assert log.count(f"DHCPDISCOVER(br0) {mac}") <= 2
    assert len([line for line in log.splitlines() if "DHCPREQUEST(br0)" in line and mac in line]) == 1
    configured = [e.fields["address"] for e in events if e.event == "ip.configure"]
    assert configured and configured[0] not in addresses(lab.net, lab.net.interface(index))


@pytest_twisted.ensureDeferred
async def test_proxy_dhcp_like_rackhd_with_the_on_dhcp_proxy_double(tmp_path: Path) -> None:
    """dnsmasq gives addresses with vendor class PXEClient and no boot file (RackHD's ISC dhcpd stanza);
    the on-dhcp-proxy double on :4011 hands out monorail-undionly.kpxe, then the profiles URL to MonoRail."""
    require_root_and_tools()
    (tmp_path / "tftp").mkdir()
    (tmp_path / "tftp" / "monorail-undionly.kpxe").write_bytes(IPXE_BINARY[:5000])
    net = ProvisioningNet("proxy", SUBNET + 1, 1, tmp_path)
    southbound = southbound_for(net.server)
    proxy = DhcpProxyDouble(net.server, f"http://{net.server}:9030")
    ports: list[Any] = []
    try:
        net.create()
        ports.append(listen_http(reactor, net.srv, southbound))
        ports.append(listen_proxy(reactor, net.srv, proxy))
        net.start_dnsmasq(tmp_path / "tftp", "--dhcp-option-force=60,PXEClient")
        events: list[BootEvent] = []
        nic = NicConfig(net.mac(0), net.interface(0))
        node = NetbootNode([nic], node_uuid(99), reactor, NetnsIO(reactor, net.cli), events.append)
        outcome = await node.boot("pxe")
        assert outcome.kind == "kernel", outcome
        assert outcome.kernel == f"http://{net.server}:9030/common/vmlinuz-1.2.0-rancher"
        acks = [e.fields for e in events if e.event == "proxydhcp.ack"]
        profiles = f"http://{net.server}:9030/api/current/profiles"
        # The ROM, iPXE's autoboot and the boilerplate's ifconf each go to the proxy after their DHCP.
        assert [a["bootfile"] for a in acks] == ["monorail-undionly.kpxe", profiles, profiles]
        assert [p.user_class for p in proxy.requests] == [None, "MonoRail", "MonoRail"]
        assert all(p.ciaddr == outcome.ip for p in proxy.requests)
        assert [p.vendor_class for p in proxy.requests] == ["PXEClient:Arch:00000:UNDI:002001"] * 3
    finally:
        for port in ports:
            await defer.maybeDeferred(port.stopListening)
        net.close()
