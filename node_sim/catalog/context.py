"""What a catalog command sees of its node, and what it returns.

:class:`NodeContext` is the node's hardware, identity, in-band BMC, LLDP
neighbours and the mutable bits a command can change (downloaded files,
static addresses set by ``set_interfaces.py``, the addresses its OS got by DHCP).  Commands return a
:class:`CommandResult` like a finished process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from node_sim.hardware import Hardware
from node_sim.hardware_identity import NodeIdentity

IpmiCall = Callable[[int, int, bytes], tuple[int, bytes]]
"""In-band IPMI: ``ipmi(netfn, cmd, data) -> (completion_code, response_data)``."""


@dataclass(frozen=True)
class CommandResult:
    """A finished command: what it printed and its exit status."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def then(self, other: CommandResult) -> CommandResult:
        """Both outputs concatenated, the exit status of ``other`` (``a; b`` in a shell)."""
        return CommandResult(self.stdout + other.stdout, self.stderr + other.stderr, other.exit_code)


@dataclass(frozen=True)
class LldpNeighbor:
    """One LLDP neighbour heard on a local interface (what ``lldpcli show neighbor`` reports)."""

    interface: str
    chassis_mac: str
    chassis_name: str
    port_ifname: str
    port_descr: str = ""
    system_descr: str = ""
    mgmt_ip: str | None = None
    ttl: int = 120

    @classmethod
    def from_peer(cls, interface: str, peer: Any) -> LldpNeighbor:
        """From any object shaped like ``switch_sim``'s ``LinkPeer`` (mac, chassis_name, port_id, ...)."""
        return cls(
            interface=interface,
            chassis_mac=str(peer.mac),
            chassis_name=str(peer.chassis_name),
            port_ifname=str(peer.port_id),
            port_descr=str(getattr(peer, "port_descr", "")),
            system_descr=str(getattr(peer, "system_descr", "")),
            mgmt_ip=getattr(peer, "mgmt_ip", None),
        )


@dataclass(frozen=True)
class StaticAddress:
    """An address ``set_interfaces.py`` configured on an interface."""

    interface: str
    address: str
    netmask: str
    gateway: str | None


@dataclass(frozen=True)
class DhcpAddress:
    """An address the OS holds on an interface: a DHCP lease (``lease_seconds`` from the server, counted
    from boot) or, with ``lease_seconds`` None, one that never expires."""

    interface: str
    address: str
    prefixlen: int
    lease_seconds: int | None = None


@dataclass
class NodeContext:
    """Everything a command may read or change on one node.

    ``ipmi`` is None when the node has no in-band BMC device (``ipmitool``
    then fails as it does without ``/dev/ipmi0``).  ``neighbors`` may be a
    callable so the answer follows the current cabling.  ``uptime`` returns
    seconds since boot and ``now`` the wall time (both from the caller's
    clock).  ``failing_disks`` names drives that are going bad (SMART and the
    RAID tool say so); the owner may share one set and change it live.
    ``ipmitool_version`` selects version-dependent output: "1.8.14"
    (Debian jessie, what RackHD's RancherOS microkernel runs) or "1.8.19".
    """

    hardware: Hardware
    identity: NodeIdentity
    ipmi: IpmiCall | None = None
    neighbors: tuple[LldpNeighbor, ...] | Callable[[], tuple[LldpNeighbor, ...]] = ()
    files: dict[str, bytes] = field(default_factory=dict)
    static_addresses: list[StaticAddress] = field(default_factory=list)
    dhcp_addresses: list[DhcpAddress] = field(default_factory=list)
    uptime: Callable[[], float] = lambda: 0.0
    now: Callable[[], float] = lambda: 1_704_067_200.0
    hostname: str = "monorail-micro"
    ipmitool_version: str = "1.8.14"
    failing_disks: set[int] = field(default_factory=set)  # indices in hardware.disks going bad (live, shared)

    def lldp_neighbors(self) -> tuple[LldpNeighbor, ...]:
        return self.neighbors() if callable(self.neighbors) else self.neighbors

    def interface_names(self) -> list[str]:
        """``eth0``, ``eth1``, ... one per NIC of the personality."""
        return [f"eth{i}" for i in range(len(self.hardware.nics))]
