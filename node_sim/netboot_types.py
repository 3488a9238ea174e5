"""The vocabulary of a network boot: a node's NICs, boot devices, what a downloaded boot file is, how a boot ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node_sim.dhcp_outcome import Lease

IPXE_BINARY_SUFFIXES = (".ipxe", ".kpxe", ".kkpxe", ".efi", ".pxe", ".lkrn", ".usb")
RACKHD_EMBEDDED_SCRIPT = "#!ipxe\necho MonoRail iPXE\nset user-class MonoRail\nautoboot\n"
STOCK_EMBEDDED_SCRIPT = "#!ipxe\nautoboot\n"
NETWORK_DEVICES = ("pxe", "network", "net")
LOCAL_DEVICES = ("disk", "hdd", "cdrom", "floppy", "bios", "safe", "diag", "none", "default", "local")


@dataclass(frozen=True)
class NicConfig:
    """One NIC: its MAC and the host interface (in the node's namespace) that plays it."""

    mac: str
    interface: str


@dataclass(frozen=True)
class BootOutcome:
    """How a boot ended; see the module docstring for ``kind``."""

    kind: str
    device: str = "pxe"
    kernel: str | None = None
    initrd: tuple[str, ...] = ()
    args: str = ""
    nic: NicConfig | None = None
    ip: str | None = None
    prefixlen: int | None = None
    gateway: str | None = None
    server: str | None = None
    lease_seconds: int | None = None
    reason: str = ""
    kernel_size: int = 0
    lease: Lease | None = field(default=None, compare=False, repr=False)  # the boot NIC's last lease (iPXE's)

    def as_dict(self) -> dict[str, Any]:
        """The outcome as the journal and the control API show it (JSON types)."""
        return {
            "kind": self.kind,
            "device": self.device,
            "kernel": self.kernel,
            "initrd": list(self.initrd),
            "args": self.args,
            "mac": self.nic.mac if self.nic else None,
            "interface": self.nic.interface if self.nic else None,
            "ip": self.ip,
            "prefixlen": self.prefixlen,
            "server": self.server,
            "reason": self.reason,
        }


def classify_bootfile(name: str, data: bytes) -> str:
    """``script``, ``rackhd-ipxe``, ``ipxe`` or ``unsupported`` for a file the PXE ROM downloaded."""
    if data.lstrip().startswith(b"#!ipxe"):
        return "script"
    base = name.rsplit("/", 1)[-1].lower()
    if base.endswith(IPXE_BINARY_SUFFIXES) or base.startswith(("ipxe", "undionly")):
        return "rackhd-ipxe" if base.startswith("monorail") else "ipxe"
    return "unsupported"
