"""What runs on a compute node while its host has power: the node backend contract.

The BMC decides host power and boot device (``bmc_sim`` chassis); the backend follows it:
:meth:`NodeBackend.host_on` when the host powers on or is reset (with the boot device the BMC
selected), :meth:`NodeBackend.host_off` when it loses power.  Backends: ``sim`` (``node_sim``: real
DHCP/TFTP/HTTP on the provisioning network, then RackHD's microkernel), ``vm`` (a libvirt/QEMU domain),
and :class:`NoNetworkBackend` for loopback racks, which have no provisioning network to boot from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from twisted.internet.defer import Deferred, succeed

from node_sim.console import NodeConsole
from vrack.journal import Journal
from vrack.roles import NeighborSource

# A BMC with no valid boot override boots in its BIOS order; an unprovisioned bare-metal node has no OS
# on disk, so its first choice is the network, which is what RackHD expects of new nodes.
DEFAULT_BOOT = "pxe"


def effective_boot(device: str) -> str:
    """The device a host really boots from for the BMC's selection (``default``/``none`` -> PXE)."""
    return DEFAULT_BOOT if device in ("default", "none") else device


class NodeBackend(ABC):
    """A node's host: started and stopped by the node's BMC."""

    kind = "none"

    def __init__(self, node: str, journal: Journal) -> None:
        self.node = node
        self.journal = journal
        self.running = False
        self.neighbor_source: NeighborSource = lambda: ()
        self.console: NodeConsole | None = None  # the node's serial console, told what the host does

    def set_neighbor_source(self, source: NeighborSource) -> None:
        """What the host hears over LLDP (the rack's cabling); backends that run an LLDP agent read it."""
        self.neighbor_source = source

    @abstractmethod
    def host_on(self, boot: str, cause: str, boot_mode: str = "legacy") -> None:
        """The host powered on or was reset; boot from ``boot`` (pxe, disk, ...) with the firmware in
        ``boot_mode`` (``uefi`` or ``legacy``: a network boot's PXE client architecture follows it)."""

    @abstractmethod
    def host_off(self, cause: str) -> None:
        """The host lost power: stop at once."""

    def os_running(self) -> bool:
        """Whether an operating system on the host takes ACPI requests now (soft off, graceful restart).  Hosts
        whose boot is not modelled (loopback racks' hosts, which power on but never boot) and VMs say yes, so
        a soft off ends in off as it always has there; the simulated node says what its boot reached."""
        return True

    def media_changed(self, image: str | None) -> None:
        """The BMC's virtual CD slot now holds ``image`` (None: empty).  Backends with a CD drive of their own
        (VMs) follow it; the others boot the image through the firmware's virtual CD, or ignore it."""
        _ = image

    def shutdown(self) -> Deferred[None]:
        """The rack is stopping: release whatever the backend holds."""
        return succeed(None)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "running": self.running}


class NoNetworkBackend(NodeBackend):
    """Loopback racks: the host powers on, but there is no provisioning network to boot from."""

    kind = "none"

    def host_on(self, boot: str, cause: str, boot_mode: str = "legacy") -> None:
        self.running = True
        self.journal.append(
            self.node, "host", "boot", boot_device=boot, result="no provisioning network (loopback mode)", cause=cause
        )
        if self.console is not None:
            self.console.no_network()

    def host_off(self, cause: str) -> None:
        self.running = False
