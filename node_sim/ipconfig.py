"""Put a leased IPv4 address on a node's interface, the way a booting host's network stack would.

Talks rtnetlink directly (a few dozen bytes per request, synchronous, microseconds) so that a
thousand nodes never fork ``ip``; each call enters the node's namespace with
:func:`node_sim.netns.in_netns` only for as long as the request takes.

Many simulated nodes can share one namespace and one subnet, each with its own interface.  For
them to behave like separate hosts, :func:`isolate_arp` sets ``arp_ignore=1`` (answer ARP only on
the interface that owns the address) and ``arp_announce=2`` (use that interface's address as ARP
source) on the interface; without it the kernel answers ARP for every node on every interface and
unicast replies land on the wrong NIC.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct

from node_sim.netns import in_netns

NETLINK_ROUTE = 0
RTM_NEWLINK = 16
RTM_NEWADDR = 20
RTM_DELADDR = 21
NLMSG_ERROR = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_REPLACE = 0x100
NLM_F_CREATE = 0x400
IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_BROADCAST = 4
IFF_UP = 0x1


class IpConfigError(OSError):
    """The kernel refused an address or link change (errno and what was attempted in the message)."""


def _rtattr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\x00" * ((4 - length % 4) % 4)


def _request(netns: str | None, msg_type: int, flags: int, body: bytes, what: str) -> None:
    with in_netns(netns):
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)
    try:
        sock.bind((0, 0))
        header = struct.pack("=IHHII", 16 + len(body), msg_type, flags | NLM_F_REQUEST | NLM_F_ACK, 1, 0)
        sock.send(header + body)
        reply = sock.recv(65536)
    finally:
        sock.close()
    _length, kind, _flags, _seq, _pid = struct.unpack_from("=IHHII", reply)
    if kind == NLMSG_ERROR:
        (code,) = struct.unpack_from("=i", reply, 16)
        if code != 0:
            raise IpConfigError(-code, f"{what}: {errno.errorcode.get(-code, -code)}")


def if_index(interface: str, netns: str | None) -> int:
    """The interface's index inside ``netns``; IpConfigError if it does not exist there."""
    with in_netns(netns):
        try:
            return socket.if_nametoindex(interface)
        except OSError as exc:
            raise IpConfigError(exc.errno or 19, f"no interface {interface!r} in namespace {netns!r}") from exc


def _address_body(index: int, address: str, prefixlen: int) -> bytes:
    ip = ipaddress.IPv4Interface(f"{address}/{prefixlen}")
    body = struct.pack("=BBBBI", socket.AF_INET, prefixlen, 0, 0, index)
    body += _rtattr(IFA_LOCAL, ip.ip.packed) + _rtattr(IFA_ADDRESS, ip.ip.packed)
    if prefixlen < 31:
        body += _rtattr(IFA_BROADCAST, ip.network.broadcast_address.packed)
    return body


def add_address(interface: str, address: str, prefixlen: int, netns: str | None) -> None:
    """Add (or refresh) ``address/prefixlen`` on ``interface``; the kernel adds the subnet route."""
    index = if_index(interface, netns)
    body = _address_body(index, address, prefixlen)
    _request(netns, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, body, f"add {address}/{prefixlen} on {interface}")


def remove_address(interface: str, address: str, prefixlen: int, netns: str | None) -> None:
    """Remove ``address/prefixlen`` from ``interface``; an address that is already gone is fine."""
    index = if_index(interface, netns)
    try:
        _request(netns, RTM_DELADDR, 0, _address_body(index, address, prefixlen), f"remove {address} from {interface}")
    except IpConfigError as exc:
        if exc.errno not in (99, 19):  # EADDRNOTAVAIL, ENODEV
            raise


def link_up(interface: str, netns: str | None) -> None:
    """Set ``interface`` administratively up (a NIC's link comes up when the ROM opens it)."""
    index = if_index(interface, netns)
    body = struct.pack("=BBHiII", socket.AF_UNSPEC, 0, 0, index, IFF_UP, IFF_UP)
    _request(netns, RTM_NEWLINK, 0, body, f"set {interface} up")


def isolate_arp(interface: str, netns: str | None) -> None:
    """Make ``interface`` answer and announce ARP only for its own addresses (see the module docstring).

    The kernel uses the larger of the ``all`` and the per-interface value, and an interface whose node
    has not configured it yet would otherwise answer for its neighbours, so ``all`` is set as well:
    a namespace that holds simulated nodes holds nothing else that could mind.
    """
    with in_netns(netns):
        for scope in ("all", interface):
            for name, value in (("arp_ignore", "1"), ("arp_announce", "2")):
                with open(f"/proc/sys/net/ipv4/conf/{scope}/{name}", "w") as handle:
                    handle.write(value)
