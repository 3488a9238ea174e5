"""``ip [-d] addr show`` and ``ip [-d] link show`` (iproute2) for RackHD's ``catalog-ip`` task.

RackHD's Task.Ssh.Catalog.Ip runs ``sudo ip -d addr show; sudo ip -d link show`` and its parser
(on-tasks ``command-parser.js``) splits the text into interfaces at lines whose second character is
``:``, reads words in pairs and records every interface but ``lo`` as an IP/MAC lookup.  The text here
is what iproute2 6.1 prints for the node's interfaces: ``lo``, then ``eth0``... one per NIC with the
NIC's MAC, driver and PCI address, carrier when the NIC is cabled (it hears LLDP) or holds an address,
the DHCP lease the OS got (``dynamic``, its lifetime counting down from the lease time since boot) and
addresses ``set_interfaces.py`` configured, and the IPv6 link-local address an interface with carrier
has.  Layout (double space after ``promiscuity 0``, trailing blanks) follows iproute2 byte for byte.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from node_sim.catalog.context import CommandResult, NodeContext

# (tx queues, rx queues, max MTU) per driver, as the kernel reports them for these NICs
DRIVER_LIMITS = {"igb": (8, 8, 9216), "tg3": (4, 5, 9000), "ixgbe": (63, 63, 9710)}
DEFAULT_LIMITS = (8, 8, 9000)
LOOPBACK = (
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN {mode}group default qlen 1000\n"
    "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 "
    "{gen}numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 "
    "tso_max_segs 65535 gro_max_size 65536 \n"
)
LOOPBACK_ADDRESSES = (
    "    inet 127.0.0.1/8 scope host lo\n"
    "       valid_lft forever preferred_lft forever\n"
    "    inet6 ::1/128 scope host \n"
    "       valid_lft forever preferred_lft forever\n"
)
FOREVER = "       valid_lft forever preferred_lft forever\n"


@dataclass(frozen=True)
class Interface:
    """One of the node's Ethernet interfaces as the OS sees it."""

    index: int
    name: str
    mac: str
    driver: str
    pci_address: str
    carrier: bool


def interfaces(ctx: NodeContext) -> list[Interface]:
    """``eth0``... in NIC order; NICs past the personality's list reuse its last NIC's hardware."""
    hw_nics = ctx.hardware.nics
    heard = {n.interface for n in ctx.lldp_neighbors()}
    addressed = {a.interface for a in ctx.dhcp_addresses} | {a.interface for a in ctx.static_addresses}
    out = []
    for n, mac in enumerate(ctx.identity.nic_macs):
        nic = hw_nics[min(n, len(hw_nics) - 1)]
        name = f"eth{n}"
        out.append(Interface(n + 2, name, mac.lower(), nic.driver, nic.pci_address, name in heard | addressed))
    return out


def link_local(mac: str) -> str:
    """The EUI-64 IPv6 link-local address of ``mac`` (universal/local bit flipped, ``ff:fe`` inserted)."""
    octets = bytes(int(part, 16) for part in mac.split(":"))
    eui = bytes([octets[0] ^ 0x02]) + octets[1:3] + b"\xff\xfe" + octets[3:]
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + eui))


def _header(iface: Interface, link_mode: bool) -> str:
    flags = "BROADCAST,MULTICAST,UP,LOWER_UP" if iface.carrier else "NO-CARRIER,BROADCAST,MULTICAST,UP"
    state = "UP" if iface.carrier else "DOWN"
    mode = "mode DEFAULT " if link_mode else ""
    tx, rx, max_mtu = DRIVER_LIMITS.get(iface.driver, DEFAULT_LIMITS)
    gen = "addrgenmode eui64 " if link_mode else ""
    return (
        f"{iface.index}: {iface.name}: <{flags}> mtu 1500 qdisc mq state {state} {mode}group default qlen 1000\n"
        f"    link/ether {iface.mac} brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu {max_mtu} "
        f"{gen}numtxqueues {tx} numrxqueues {rx} gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 "
        f"tso_max_segs 65535 gro_max_size 65536 parentbus pci parentdev {iface.pci_address} \n"
    )


def _addresses(iface: Interface, ctx: NodeContext) -> str:
    lines = []
    uptime = int(ctx.uptime())
    for lease in ctx.dhcp_addresses:
        if lease.interface != iface.name:
            continue
        net = ipaddress.IPv4Interface(f"{lease.address}/{lease.prefixlen}")
        brd = f" brd {net.network.broadcast_address}" if lease.prefixlen < 31 else ""
        if lease.lease_seconds is None:
            lines += [f"    inet {net.with_prefixlen}{brd} scope global {iface.name}\n", FOREVER]
        else:
            left = max(0, lease.lease_seconds - uptime)
            lines += [
                f"    inet {net.with_prefixlen}{brd} scope global dynamic {iface.name}\n",
                f"       valid_lft {left}sec preferred_lft {left}sec\n",
            ]
    for static in ctx.static_addresses:
        if static.interface == iface.name:
            net = ipaddress.IPv4Interface(f"{static.address}/{static.netmask}")
            brd = f" brd {net.network.broadcast_address}" if net.network.prefixlen < 31 else ""
            lines += [f"    inet {net.with_prefixlen}{brd} scope global {iface.name}\n", FOREVER]
    if iface.carrier:
        lines += [f"    inet6 {link_local(iface.mac)}/64 scope link \n", FOREVER]
    return "".join(lines)


def addr_show(ctx: NodeContext, only: str | None = None) -> str:
    """``ip -d addr show [dev NAME]``."""
    out = [LOOPBACK.format(mode="", gen="") + LOOPBACK_ADDRESSES] if only in (None, "lo") else []
    for iface in interfaces(ctx):
        if only in (None, iface.name):
            out.append(_header(iface, link_mode=False) + _addresses(iface, ctx))
    return "".join(out)


def link_show(ctx: NodeContext, only: str | None = None) -> str:
    """``ip -d link show [dev NAME]``."""
    out = [LOOPBACK.format(mode="mode DEFAULT ", gen="addrgenmode eui64 ")] if only in (None, "lo") else []
    out += [_header(i, link_mode=True) for i in interfaces(ctx) if only in (None, i.name)]
    return "".join(out)


OBJECTS = {"a": "address", "ad": "address", "addr": "address", "address": "address", "l": "link", "li": "link"}
OBJECTS.update({"lin": "link", "link": "link"})
SHOW = frozenset({"show", "sh", "s", "list", "lst", "ls"})


def ip(args: list[str], ctx: NodeContext) -> CommandResult:
    """The ``ip`` program: ``[-d|-details] {addr|link} [show] [dev NAME | NAME]``; other uses fail as iproute2's."""
    words = list(args)
    while words and words[0].startswith("-"):
        option = words.pop(0)
        if option not in ("-d", "-details"):
            return CommandResult("", f'Option "{option}" is unknown, try "ip -help".\n', 255)
    if not words:
        return CommandResult("", "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n", 255)
    kind = OBJECTS.get(words[0])
    if kind is None:
        return CommandResult("", f'Object "{words[0]}" is unknown, try "ip help".\n', 1)
    rest = words[1:]
    if rest and rest[0] in SHOW:
        rest = rest[1:]
    elif rest and rest[0] != "dev" and not rest[0].startswith("eth") and rest[0] != "lo":
        return CommandResult("", f'Command "{rest[0]}" is unknown, try "ip {kind} help".\n', 255)
    if rest and rest[0] == "dev":
        rest = rest[1:]
    only = rest[0] if rest else None
    if only is not None and only != "lo" and only not in {i.name for i in interfaces(ctx)}:
        return CommandResult("", f'Device "{only}" does not exist.\n', 1)
    text = addr_show(ctx, only) if kind == "address" else link_show(ctx, only)
    return CommandResult(text)
