"""Running a rack in the foreground: reactor, devices, control API, shutdown.

``run(spec, ...)`` installs the asyncio reactor (pysnmp 7 needs asyncio; the
whole rack shares that one loop), builds the rack, binds every device and the
control API, writes ``control.json`` and runs until SIGINT, SIGTERM or
``POST /api/v1/shutdown``.  Shutdown stops the devices in reverse order,
closes every port and removes ``control.json``; the journal stays.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from vrack.plan import RackPlan
from vrack.statedir import RackDir

log = logging.getLogger("vrack")


def install_reactor() -> Any:
    """Install Twisted's asyncio reactor (once) and return it."""
    from snmp_agent.reactor import install_asyncio_reactor

    install_asyncio_reactor()
    from twisted.internet import reactor

    return reactor


def run(plan: RackPlan, rack_dir: RackDir, spec_path: str, out: Any = sys.stdout) -> int:
    """Run the rack until stopped; return the process exit code."""
    reactor = install_reactor()

    from vrack.api import RackControl, make_site
    from vrack.clock import RackClock
    from vrack.journal import Journal
    from vrack.rack import Rack, RackStartError

    clock = RackClock(reactor, plan.spec.epoch)
    journal = Journal(clock, rack_dir.events_file)
    try:
        network = build_network(plan)
    except Exception as exc:
        print(f"vrack: cannot build the rack network: {exc}", file=sys.stderr)
        return 1
    try:
        libvirtd = start_libvirtd(plan, network)
    except Exception as exc:
        print(f"vrack: cannot start libvirtd for the VM nodes: {exc}", file=sys.stderr)
        if network is not None:
            network.destroy()
        return 1
    rack = Rack(plan, reactor, journal, clock, network, rack_dir.path)
    exit_code = [0]
    listening: list[Any] = []

    def shutdown() -> None:
        if reactor.running:
            reactor.stop()

    def start() -> None:
        try:
            rack.startService()
        except RackStartError as exc:
            print(f"vrack: {exc}", file=sys.stderr)
            exit_code[0] = 1
            reactor.stop()
            return
        spec = plan.spec
        token = secrets.token_urlsafe(32) if spec.control.allow_remote else None
        control = RackControl(rack, shutdown, token)
        try:
            port = reactor.listenTCP(
                spec.control.port, make_site(control, reactor), interface=str(spec.control.address)
            )
        except Exception as exc:
            print(
                f"vrack: control API cannot listen on {spec.control.address}:{spec.control.port}: {exc}",
                file=sys.stderr,
            )
            exit_code[0] = 1
            reactor.stop()
            return
        listening.append(port)
        url = f"http://{spec.control.address}:{port.getHost().port}"
        rack_dir.write_control(
            {
                "pid": os.getpid(),
                "rack": spec.rack,
                "api": url,
                "spec": str(Path(spec_path).resolve()),
                "status": "running",
                "events": str(rack_dir.events_file),
                **({"token": token} if token else {}),
            }
        )
        print(_summary(plan, url, rack_dir), file=out, flush=True)

    def before_shutdown() -> Any:
        rack_dir.remove_control()
        for port in listening:
            port.stopListening()
        stopped = rack.stopService()
        if libvirtd is not None:
            stopped.addBoth(lambda result: (libvirtd.stop(), result)[1])
        if network is not None:
            stopped.addBoth(lambda result: (network.destroy(), result)[1])
        return stopped

    reactor.callWhenRunning(start)
    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
    try:
        reactor.run()
    finally:
        rack_dir.remove_control()
        if network is not None and network.exists():
            network.destroy()
    return exit_code[0]


def start_libvirtd(plan: RackPlan, network: Any | None) -> Any | None:
    """VM nodes need libvirtd inside the rack namespace (a bridge's taps live in libvirtd's namespace)."""
    if network is None or not any(n.spec.backend == "vm" for n in plan.nodes):
        return None
    from vrack.nodes.libvirtd import LibvirtDaemon

    daemon = LibvirtDaemon(netns=network.netns)
    daemon.start()
    return daemon


def build_network(plan: RackPlan) -> Any | None:
    """In netns mode, create the rack's namespace and give every device address to ``mgmt0``; with more
    than ``HOST_LIMITS_FROM_NICS`` simulated NICs also raise the host-wide limits they need
    (:func:`vrack.netns.raise_host_limits`: raised, never lowered)."""
    spec = plan.spec
    if spec.mode != "netns":
        return None
    from vrack.netns import RackNetwork, raise_host_limits

    network = RackNetwork(spec.rack, spec.networks.management, spec.networks.provisioning, spec.netns.uplink)
    network.create()
    try:
        addresses = [n.bmc_address for n in plan.nodes] + [d.address for d in (*plan.pdus, *plan.switches)]
        network.add_addresses("mgmt0", addresses)
        sim_nics = [
            (n.name, f"nic{i}", mac) for n in plan.nodes if n.spec.backend == "sim" for i, mac in enumerate(n.nic_macs)
        ]
        if sim_nics:
            network.node_interfaces(sim_nics)  # one `ip -batch` for all simulated NICs
        if len(sim_nics) > HOST_LIMITS_FROM_NICS:
            raise_host_limits(len(sim_nics))  # host-wide ARP table and input backlog; raised, never lowered
        wait_links_up(network)
    except Exception:
        network.destroy()
        raise
    return network


LINKS_UP_TIMEOUT = 30.0
HOST_LIMITS_FROM_NICS = 256  # the kernel defaults serve a rack this small


def links_not_up(links: list[dict[str, Any]], names: set[str] | None = None) -> list[str]:
    """Names of the administratively up links (of ``names``, default all but loopback) in ``ip -j link``
    output whose operational state is not yet UP."""
    return [
        str(link["ifname"])
        for link in links
        if "UP" in link.get("flags", ())
        and link.get("link_type") != "loopback"
        and (names is None or link["ifname"] in names)
        and link.get("operstate") != "UP"
    ]


def _ip_links(netns: str | None) -> list[dict[str, Any]]:
    cmd = ["ip", *(["-n", netns] if netns else []), "-j", "link", "show"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    links: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    return links


def wait_links_up(network: Any, timeout: float = LINKS_UP_TIMEOUT) -> None:
    """Return once every link of the rack namespace and both uplink veths are operationally UP.

    The kernel gives a new link its queueing discipline only when its link watcher handles the carrier
    change (normally within a second; much later while other processes hold the rtnl lock, e.g. when
    deleting namespaces with many interfaces).  Until then everything sent on the link is dropped, so a
    rack reported ready earlier loses the system under test's first requests.  Raises ``RuntimeError``
    after ``timeout`` seconds, naming the links still down.
    """
    uplinks = {network.uplink_ifname(bridge) for bridge in ("mgmt0", "prov0")}
    deadline = time.monotonic() + timeout
    while True:
        down = links_not_up(_ip_links(network.netns)) + links_not_up(_ip_links(network.uplink_netns), uplinks)
        if not down:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"links not operationally up after {timeout:.0f} s: {', '.join(sorted(down)[:10])}")
        time.sleep(0.02)


def _summary(plan: RackPlan, url: str, rack_dir: RackDir) -> str:
    spec = plan.spec
    lines = [f"rack {spec.rack} is up (seed {spec.identity_seed!r})"]
    for node in plan.nodes[:8]:
        lines.append(f"  {node.name:<16} BMC {node.bmc_address}:{node.bmc_port}  ({node.spec.model})")
    if len(plan.nodes) > 8:
        lines.append(f"  ... and {len(plan.nodes) - 8} more nodes")
    for device in (*plan.pdus, *plan.switches):
        lines.append(f"  {device.name:<16} SNMP {device.address}:{device.port}  ({device.spec.model})")
    lines.append(f"control API {url}; journal {rack_dir.events_file}")
    lines.append("stop with Ctrl-C or `vrack down`")
    return "\n".join(lines)
