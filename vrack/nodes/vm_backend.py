"""The ``vm`` node backend: the BMC powers a libvirt/QEMU domain on the rack's provisioning bridge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

from vrack.journal import Journal
from vrack.nodes.base import NodeBackend
from vrack.nodes.vm import VmNode
from vrack.nodes.vm_console import VmConsole
from vrack.nodes.vm_media import MEDIA_ROOT, VmMedia
from vrack.nodes.vm_xml import BootDevice

VM_BOOT_DEVICES: dict[str, BootDevice] = {"pxe": "pxe", "disk": "disk", "cdrom": "cdrom", "cdrom-remote": "cdrom"}


class VmBackend(NodeBackend):
    """Host power and boot device of the BMC drive a VM (TCG) whose NICs carry the node's MACs."""

    kind = "vm"

    def __init__(
        self,
        node: str,
        macs: tuple[str, ...],
        serial_log: Path,
        journal: Journal,
        reactor: Any,
        console: VmConsole,
        media_dir: Path | None = None,
    ) -> None:
        super().__init__(node, journal)
        self.vm = VmNode(
            f"vrack-{node}",
            list(macs),
            "pxe",
            bridge="prov0",
            serial_log=serial_log,
            serial_socket=console.socket_path,
            reactor=reactor,
        )
        self.serial_log = serial_log
        self.vm_console = console
        self.media = VmMedia(node, self.vm, journal, reactor, media_dir or MEDIA_ROOT)  # the BMC's virtual CD

    def _report(self, operation: str, d: Deferred[None]) -> None:
        def failed(failure: Failure) -> None:
            self.journal.append(self.node, "host", operation, result="failed", error=str(failure.value))

        d.addErrback(failed)

    def host_on(self, boot: str, cause: str, boot_mode: str = "legacy") -> None:
        """Start (or reset) the VM from ``boot``.  Its firmware is SeaBIOS whatever ``boot_mode`` says: VM nodes
        boot legacy only (no OVMF in the domain)."""
        device = VM_BOOT_DEVICES.get(boot, "disk")
        self.journal.append(self.node, "host", "boot", boot_device=device, backend="vm", cause=cause)
        self.running = True
        d = self.media.ready() if device == "cdrom" else succeed(None)  # the disc is in before the firmware looks
        d.addCallback(lambda _: self.vm.power_on(device) if cause != "reset" else self._reset(device))
        d.addCallback(lambda _: self.vm_console.attach())
        self._report("power-on", d)

    def _reset(self, device: BootDevice) -> Deferred[None]:
        d = self.vm.set_boot_device(device)
        d.addCallback(lambda _: self.vm.reset())
        return d

    def host_off(self, cause: str) -> None:
        self.running = False
        self._report("power-off", self.vm.power_off())

    def media_changed(self, image: str | None) -> None:
        """The BMC's virtual CD slot now holds ``image`` (None: ejected): the VM's CD-ROM drive follows."""
        self.media.changed(image)

    def shutdown(self) -> Deferred[None]:
        self.vm_console.close()
        d = self.vm.power_off()
        d.addBoth(lambda _: self.vm.undefine())
        d.addBoth(lambda _: self.media.remove_file())
        d.addBoth(lambda _: None)
        return d

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "running": self.running,
            "domain": self.vm.name,
            "serial_log": str(self.serial_log),
            "cdrom": self.media.image,
        }
