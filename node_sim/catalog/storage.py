"""The node's block devices as the OS sees them, shared by lsblk, lsscsi, lshw, ohai, SMART and drive IDs.

RAID virtual drives come first (``sda`` on a PERC-equipped node, SCSI address
``0:2:N:0`` as megaraid_sas reports them), then the drives on the chipset SATA
controller (one SCSI host per ATA port).  Drives behind the RAID controller
are not block devices; SMART reaches them as ``/dev/bus/0 -d megaraid,N``.
"""

from __future__ import annotations

from dataclasses import dataclass

from node_sim.catalog.context import NodeContext
from node_sim.hardware import Disk
from node_sim.hardware_identity import disk_serial, disk_wwn, expand

DEFAULT_SATA_PCI = "0000:00:1f.2"


@dataclass(frozen=True)
class BlockDevice:
    """One ``/dev/sdX``."""

    kname: str
    vendor: str
    model: str
    serial: str
    firmware: str
    size_bytes: int
    rotational: bool
    host: int
    scsi_address: str  # H:C:T:L
    by_id: str  # ata-... or scsi-3...
    wwn: str
    by_path: str
    disk: Disk | None  # the physical drive, None for a RAID virtual drive
    disk_index: int = -1  # position in hardware.disks

    @property
    def rev(self) -> str:
        """SCSI INQUIRY revision (4 characters; libata uses the last four of an 8-character ATA firmware)."""
        if self.disk is not None and self.disk.bus == "sata" and len(self.firmware) > 4 and self.firmware[4:8].strip():
            return self.firmware[4:8]
        return self.firmware[:4]

    @property
    def sectors(self) -> int:
        return self.size_bytes // 512


def sata_controller_pci(ctx: NodeContext) -> str:
    for dev in ctx.hardware.pci:
        if dev.cls == "SATA controller":
            return dev.address
    return DEFAULT_SATA_PCI


def block_devices(ctx: NodeContext) -> list[BlockDevice]:
    """Every block device in kernel name order."""
    hw, ident = ctx.hardware, ctx.identity
    devices: list[BlockDevice] = []
    if hw.raid is not None:
        raid = hw.raid
        for n, vd in enumerate(raid.virtual_drives):
            wwn = "6" + expand("{hex31}", ident.system_serial, "vd", n).lower()
            devices.append(
                BlockDevice(
                    kname=_kname(len(devices)),
                    vendor="DELL" if raid.tool == "perccli" else "LSI",
                    model=raid.model,
                    serial=wwn[1:17],
                    firmware=raid.firmware_version[:4],
                    size_bytes=vd.size_bytes,
                    rotational=any(hw.disks[i].rotational for i in _raid_indexes(ctx, vd.drives)),
                    host=0,
                    scsi_address=f"0:2:{n}:0",
                    by_id=f"scsi-3{wwn}",
                    wwn=wwn,
                    by_path=f"pci-{raid.pci_address}-scsi-0:2:{n}:0",
                    disk=None,
                )
            )
    sata = sata_controller_pci(ctx)
    first_host = 1 if hw.raid is not None else 0
    for port, (index, disk) in enumerate((i, d) for i, d in enumerate(hw.disks) if d.raid_slot is None):
        serial, wwn = disk_serial(disk, ident, index), disk_wwn(disk, ident, index)
        ata = disk.bus == "sata"
        devices.append(
            BlockDevice(
                kname=_kname(len(devices)),
                vendor=disk.vendor if not ata else "ATA",
                model=disk.model,
                serial=serial,
                firmware=disk.firmware,
                size_bytes=disk.size_bytes,
                rotational=disk.rotational,
                host=first_host + port,
                scsi_address=f"{first_host + port}:0:0:0",
                by_id=f"ata-{disk.model.replace(' ', '_')}_{serial}" if ata else f"scsi-3{wwn}",
                wwn=wwn,
                by_path=f"pci-{sata}-ata-{port + 1}" if ata else f"pci-{sata}-sas-phy{port}-lun-0",
                disk=disk,
                disk_index=index,
            )
        )
    return devices


def raid_members(ctx: NodeContext) -> list[tuple[int, Disk]]:
    """(index in hardware.disks, drive) for every drive behind the RAID controller, by slot."""
    return sorted(
        ((i, d) for i, d in enumerate(ctx.hardware.disks) if d.raid_slot is not None),
        key=lambda pair: pair[1].raid_slot or 0,
    )


def slot_of(ctx: NodeContext, index: int) -> int:
    """RAID slot of drive ``index``: its position among the controller's drives."""
    members = [i for i, _ in raid_members(ctx)]
    return members.index(index)


def _raid_indexes(ctx: NodeContext, slots: tuple[int, ...]) -> list[int]:
    members = [i for i, _ in raid_members(ctx)]
    return [members[s] for s in slots if s < len(members)]


def _kname(n: int) -> str:
    return "sd" + (chr(ord("a") + n) if n < 26 else chr(ord("a") + n // 26 - 1) + chr(ord("a") + n % 26))


def human_size(size: int) -> str:
    """lsscsi's decimal size: ``240GB``, ``1.00TB``, ``300GB``."""
    value, units = float(size), ("B", "kB", "MB", "GB", "TB", "PB")
    unit = 0
    while value >= 1000 and unit < len(units) - 1:
        value /= 1000
        unit += 1
    if value < 10:
        return f"{value:.2f}{units[unit]}"
    if value < 100:
        return f"{value:.1f}{units[unit]}"
    return f"{int(value)}{units[unit]}"
