"""The booted OS's DHCP on a node's NICs: each cabled NIC is brought up and leases from its own MAC.

A real host's OS (RackHD's microkernel, any installed Linux) runs a DHCP client on every interface with
a carrier, not only on the one it booted from, whose lease it takes over and renews.  :class:`OsDhcp`
does that for a simulated node once its kernel runs: one :class:`node_sim.dhcp_lease.LeaseKeeper` per
NIC it is given, on that NIC's DHCP client port (``NicIO.open_udp`` port 68: an ``AF_PACKET`` socket
bound to the NIC), the leased address put on the NIC (``configure_ip``) and renewed as the lease says.
:meth:`OsDhcp.stop` (power off, reboot) stops every client at once and takes the addresses off the NICs.
``on_change`` is told after every lease or loss.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from node_sim.dhcp_lease import LeaseKeeper
from node_sim.dhcp_outcome import Lease
from node_sim.netboot_types import NicConfig
from node_sim.transport import DatagramLink, NicIO


@dataclass
class _Interface:
    name: str
    nic: NicConfig
    keeper: LeaseKeeper | None = None
    link: DatagramLink | None = None
    address: tuple[str, int] | None = None  # (address, prefixlen) on the NIC now

    def send(self, data: bytes, address: tuple[str, int]) -> None:
        if self.link is not None:
            self.link.send(data, address)


class OsDhcp:
    """The OS's DHCP clients on a node's NICs (module docstring)."""

    def __init__(
        self,
        io: NicIO,
        clock: Any,
        emit: Callable[..., None] = lambda event, **fields: None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.io = io
        self.clock = clock
        self.emit = emit
        self.on_change = on_change
        self.interfaces: list[_Interface] = []

    def start(self, nics: list[tuple[str, NicConfig]], kept: dict[str, Lease] | None = None) -> None:
        """Lease on each ``(OS interface name, NIC)``: open its DHCP port and start its client; a NIC whose MAC
        ``kept`` names keeps that lease (the one it booted with) and renews it, as dhclient does with the
        lease the kernel's ``ip=dhcp`` or the firmware left."""
        kept = {mac.lower(): lease for mac, lease in (kept or {}).items()}
        for name, nic in nics:
            interface = _Interface(name, nic)
            keeper = LeaseKeeper(
                nic.mac, self.clock, interface.send, on_bound=partial(self._bound, interface),
                on_lost=partial(self._lost, interface), emit=partial(self.emit, interface=name),
            )  # fmt: skip
            interface.keeper = keeper
            interface.link = self.io.open_udp(nic.interface, "0.0.0.0", 68, keeper.datagram_received)
            self.interfaces.append(interface)
            self.emit("os.ifup", interface=name, mac=nic.mac)
            lease = kept.get(nic.mac.lower())
            if lease is not None:
                keeper.adopt(lease)
            else:
                keeper.start()

    def stop(self) -> None:
        """Every client stops, every DHCP port closes, every leased address leaves its NIC."""
        interfaces, self.interfaces = self.interfaces, []
        for interface in interfaces:
            if interface.keeper is not None:
                interface.keeper.stop()
            if interface.link is not None:
                interface.link.close()
            if interface.address is not None:
                with contextlib.suppress(OSError):
                    self.io.release_ip(interface.nic.interface, *interface.address)

    def leases(self) -> list[tuple[str, NicConfig, Lease]]:
        """``(OS interface name, NIC, lease)`` of every NIC that holds a lease now."""
        return [(i.name, i.nic, i.keeper.lease) for i in self.interfaces if i.keeper and i.keeper.lease]

    def describe(self) -> list[dict[str, Any]]:
        now = float(self.clock.seconds())
        return [{"interface": i.name, "mac": i.nic.mac, **i.keeper.describe(now)} for i in self.interfaces if i.keeper]

    def _bound(self, interface: _Interface, lease: Lease) -> None:
        previous = interface.address[0] if interface.address is not None else None
        self.io.configure_ip(interface.nic.interface, lease.address, lease.prefixlen, previous)
        interface.address = (lease.address, lease.prefixlen)
        self.on_change()

    def _lost(self, interface: _Interface) -> None:
        if interface.address is not None:
            with contextlib.suppress(OSError):
                self.io.release_ip(interface.nic.interface, *interface.address)
            interface.address = None
        self.on_change()
