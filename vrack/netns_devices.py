"""Management devices with their own link on the rack network: one MAC per device, as on hardware.

In netns mode every BMC, PDU and switch gets a veth pair in the rack namespace: the device end
``vd-<10 hex>`` carries the device's MAC (the one ``lan print`` and ``vrack status`` report) and its
address, the other end ``vp-<10 hex>`` is a port of the management bridge.  So:

- an ARP request for the device's address is answered by the device end only (the namespace sets
  ``arp_ignore=1``: answer on the interface that holds the address), with the device's MAC;
- :func:`announce` sends a gratuitous ARP for the address from the device end, as a BMC does when
  its network comes up (the rack calls it for every device that answers once the rack has started,
  and again when a BMC boots after AC power returns; the kernel's ``arp_notify`` would fire before
  the bridge port forwards);
- what the device sends leaves through its own end (a routing rule per source address picks a table
  whose only route is the management network through that end), so its frames carry its MAC too.

:func:`off_the_wire` / :func:`on_the_wire` take a device off the wire and back: a BMC without AC power
or in a reset does not answer ARP, and announces itself again with a gratuitous ARP when it is up.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

ETH_P_ARP = 0x0806
BROADCAST = b"\xff" * 6
RULE_PRIORITY = 100
FIRST_TABLE = 1000


@dataclass(frozen=True)
class DeviceLink:
    """A management device's own link: its name, address (``ip/len``), MAC and interface names."""

    device: str
    address: str
    mac: str
    inner: str
    port: str
    table: int
    subnet: str


def device_ifnames(device: str) -> tuple[str, str]:
    """(device end, bridge end) of a device's veth pair: ``vd-<10 hex>`` and ``vp-<10 hex>``."""
    digest = hashlib.sha256(f"{device}\0mgmt".encode()).hexdigest()[:10]
    return f"vd-{digest}", f"vp-{digest}"


def add_device_links(network: Any, devices: Sequence[tuple[str, Any, str]], bridge: str = "mgmt0") -> list[DeviceLink]:
    """Give each ``(device, address, mac)`` its own link on ``bridge`` of ``network`` (a
    :class:`vrack.netns.RackNetwork`), in one ``ip -batch``; return the links in order."""
    links = device_links(network, devices, bridge)
    commands: list[str] = []
    for link in links:
        ip = link.address.split("/")[0]
        commands += [
            f"link add {link.inner} address {link.mac} type veth peer name {link.port}",
            f"link set {link.port} master {bridge} up",
            f"addr add {link.address} dev {link.inner}",
            f"link set {link.inner} up",
            f"route add {link.subnet} dev {link.inner} table {link.table}",
            f"rule add from {ip} table {link.table} pref {RULE_PRIORITY}",
        ]
    network.run_batch(commands)
    return links


def device_links(network: Any, devices: Sequence[tuple[str, Any, str]], bridge: str = "mgmt0") -> list[DeviceLink]:
    """The links :func:`add_device_links` makes for ``devices``, without making them (a worker process finds
    them made by the coordinator: the same devices in the same order give the same names and tables)."""
    subnet = network.networks[bridge]
    links: list[DeviceLink] = []
    seen: dict[str, str] = {}
    for n, (device, address, mac) in enumerate(devices):
        inner, port = device_ifnames(device)
        if inner in seen:
            raise ValueError(f"interface name clash: {device} and {seen[inner]}")
        seen[inner] = device
        address_text = network.address_with_prefix(bridge, address)
        links.append(DeviceLink(device, address_text, mac.lower(), inner, port, FIRST_TABLE + n, str(subnet)))
    return links


def off_the_wire(network: Any, links: Iterable[DeviceLink]) -> None:
    """Take devices' addresses off their links: no ARP answers, nothing reaches their sockets (which stay
    bound) until :func:`on_the_wire`; the links stay up, so the bridge keeps forwarding at once after."""
    network.run_batch([f"addr flush dev {link.inner}" for link in links])


def on_the_wire(network: Any, links: Iterable[DeviceLink]) -> None:
    """Give devices their addresses back (and their routes, which left with the last address), then
    announce them with a gratuitous ARP each."""
    links = list(links)
    commands: list[str] = []
    for link in links:
        commands += [
            f"addr replace {link.address} dev {link.inner}",
            f"route replace {link.subnet} dev {link.inner} table {link.table}",
        ]
    network.run_batch(commands)
    announce(network, links)


def follow_bmc(network: Any | None, device: str, bmc: Any) -> None:
    """Keep ``device``'s link (if the rack has one for it) in step with its BMC (a ``bmc_sim`` ``Bmc``):
    off the wire when it loses AC or resets, on the wire and announced when it answers again."""
    if network is None or device not in network.device_links:
        return  # the link is looked up at each event: a DHCP lease may have moved the device's address
    bmc.add_reset_listener(lambda kind: off_the_wire(network, [network.device_links[device]]))
    bmc.add_ready_listener(lambda: on_the_wire(network, [network.device_links[device]]) if bmc.responsive else None)


def gratuitous_arp(mac: str, address: str) -> bytes:
    """An Ethernet frame with a gratuitous ARP request for ``address`` from ``mac`` (sender and target
    address both ``address``, target hardware address zero), as Linux and BMC firmware send it."""
    hw = bytes.fromhex(mac.replace(":", ""))
    ip = ipaddress.IPv4Address(address.split("/")[0]).packed
    arp = b"\x00\x01\x08\x00\x06\x04\x00\x01" + hw + ip + bytes(6) + ip
    return BROADCAST + hw + ETH_P_ARP.to_bytes(2, "big") + arp


def announce(network: Any, links: Iterable[DeviceLink]) -> int:
    """Send one gratuitous ARP from each device's own link; return how many went out (a link that is
    down is skipped)."""
    sent = 0
    with network.in_netns():
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    with sock:
        for link in links:
            try:
                sock.sendto(gratuitous_arp(link.mac, link.address), (link.inner, ETH_P_ARP))
            except OSError:  # ENETDOWN: the device is off the wire
                continue
            sent += 1
    return sent
