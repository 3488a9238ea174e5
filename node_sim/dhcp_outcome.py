"""What one DHCP acquisition yields (a :class:`Lease` or a :class:`DhcpFailure`), in which mode, and its counters.

Shared by :mod:`node_sim.dhcp_client` (the exchange), :mod:`node_sim.dhcp_lease` (keeping a lease) and
their callers, which need the outcome without the client's state machine.
"""

from __future__ import annotations

import enum
import ipaddress
import zlib
from dataclasses import dataclass, field

from node_sim.dhcp import DhcpPacket

Address = tuple[str, int]


class Mode(enum.Enum):
    """Whose DHCP client this is: a BIOS PXE ROM, iPXE, or an operating system / BMC firmware."""

    PXE = "pxe"
    IPXE = "ipxe"
    HOST = "host"


class DhcpFailure(Exception):
    """No lease: ``code`` is the PXE ROM's error code (PXE-E51 no offers, PXE-E52 proxy unanswered, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Lease:
    """The outcome of one acquisition: the bound address and where to boot from."""

    mac: str
    address: str
    prefixlen: int
    server_id: str | None
    gateway: str | None
    bootfile: str
    tftp_server: str | None
    vendor_class: str | None
    proxy_server: str | None = None
    ack: DhcpPacket | None = field(default=None, compare=False, repr=False)

    @property
    def netmask(self) -> str:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{self.prefixlen}").netmask)

    @property
    def lease_seconds(self) -> int | None:
        """The lease time the server's ACK gave (option 51), None when it gave none (infinite)."""
        value = self.ack.options.get(51) if self.ack is not None else None
        if value is None or len(value) != 4 or value == b"\xff\xff\xff\xff":
            return None
        return int.from_bytes(value, "big")


@dataclass
class ClientStats:
    """Datagrams one client sent and received, and those it dropped (other xid or MAC) or found malformed."""

    sent: int = 0
    received: int = 0
    dropped: int = 0
    malformed: int = 0


def transaction_id(mac: str, generation: int) -> int:
    """A deterministic xid per (NIC, acquisition): different nodes and attempts never share one."""
    return zlib.crc32(f"{mac.lower()}/{generation}".encode()) & 0xFFFFFFFF
