"""What a rack needs from the host besides sockets: its network namespace (netns mode) and libvirtd.

``build_network`` creates the rack namespace, gives every management device its own link (MAC and
address) on ``mgmt0``, creates the
simulated nodes' interfaces and waits until every link is operationally up; ``start_libvirtd`` starts
libvirtd inside that namespace when the rack has VM nodes.  Both are used by
:class:`vrack.runtime.RackRuntime` and undone by it when the rack stops.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from vrack.plan import RackPlan


def start_libvirtd(plan: RackPlan, network: Any | None) -> Any | None:
    """VM nodes need libvirtd inside the rack namespace (a bridge's taps live in libvirtd's namespace)."""
    if network is None or not any(n.spec.backend == "vm" for n in plan.nodes):
        return None
    from vrack.nodes.libvirtd import LibvirtDaemon

    daemon = LibvirtDaemon(netns=network.netns)
    daemon.start()
    return daemon


def build_network(plan: RackPlan, rack_dir: Path | None = None) -> Any | None:
    """In netns mode, create the rack's namespace and give every management device its own link on
    ``mgmt0`` (its MAC and address, :mod:`vrack.netns_devices`); with more than ``HOST_LIMITS_FROM_NICS``
    simulated NICs also raise the host-wide limits they need (:func:`vrack.host_limits.raise_host_limits`:
    raised, never lowered).  ``rack_dir`` (the rack's state
    directory) is recorded with the network, so ``vrack cleanup`` can keep to its own racks."""
    spec = plan.spec
    if spec.mode != "netns":
        return None
    from vrack.host_limits import raise_host_limits
    from vrack.netns import RackNetwork
    from vrack.netns_devices import add_device_links

    network = RackNetwork(
        spec.rack, spec.networks.management, spec.networks.provisioning, spec.netns.uplink, rack_dir=rack_dir
    )
    network.create()
    try:
        links = add_device_links(network, _managed_devices(plan))  # each with its own MAC on mgmt0
        network.device_links.update((link.device, link) for link in links)
        sim_nics = _sim_nics(plan)
        if sim_nics:
            network.node_interfaces(sim_nics)  # one `ip -batch` for all simulated NICs
        if len(sim_nics) > HOST_LIMITS_FROM_NICS:
            raise_host_limits(len(sim_nics))  # host-wide ARP table and input backlog; raised, never lowered
        wait_links_up(network)
    except Exception:
        network.destroy()
        raise
    return network


def attach_network(plan: RackPlan) -> Any | None:
    """In netns mode, the rack network that :func:`build_network` made (in the coordinator of ``vrack up
    --workers``), as a worker process uses it: the same device links and node interfaces, nothing created."""
    if plan.spec.mode != "netns":
        return None
    from vrack.netns import RackNetwork
    from vrack.netns_devices import device_links

    spec = plan.spec
    network = RackNetwork(spec.rack, spec.networks.management, spec.networks.provisioning, spec.netns.uplink)
    if not network.exists():
        raise RuntimeError(f"the rack's network namespace {network.netns} does not exist")
    network.device_links.update((link.device, link) for link in device_links(network, _managed_devices(plan)))
    network.adopt_node_interfaces(_sim_nics(plan))
    return network


def _managed_devices(plan: RackPlan) -> list[tuple[str, Any, str]]:
    """Every BMC, PDU and switch as ``(name, address, MAC)``, in the order that numbers their links."""
    devices: list[tuple[str, Any, str]] = [(n.name, n.bmc_address, n.bmc_mac) for n in plan.nodes]
    return devices + [(d.name, d.address, d.mac) for d in (*plan.pdus, *plan.switches)]


def _sim_nics(plan: RackPlan) -> list[tuple[str, str, str]]:
    """Every simulated node's NICs as ``(node, nicN, MAC)``."""
    return [(n.name, f"nic{i}", mac) for n in plan.nodes if n.spec.backend == "sim" for i, mac in enumerate(n.nic_macs)]


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
