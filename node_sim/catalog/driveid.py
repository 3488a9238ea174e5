"""RackHD's ``get_driveid.js``, computed from the node's block devices.

The script lists ``/dev/disk/by-id`` and ``/dev/disk/by-path``, runs ``lsscsi``
and ``hdparm --Istdout``, and prints one JSON object per drive: ``scsiId``,
``virtualDisk`` (``/cX/vY`` for a RAID virtual drive), ``esxiWwid`` (``t10.ATA_____``
+ model(40) + serial(20) for SATA, ``naa.<wwn>`` for SCSI), ``devName``,
``identifier`` and ``linuxWwid``.  This module produces the same JSON directly.
"""

from __future__ import annotations

import json
from typing import Any

from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.catalog.storage import BlockDevice, block_devices


def _esxi_sata(dev: BlockDevice) -> str:
    name = (dev.model.ljust(40) + dev.serial.rjust(20)).replace(" ", "_")
    line = "t10.ATA_____" + name
    parts = line.split("-")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += f"{i + 2}D{part}"
    return out


def _virtual_disk(dev: BlockDevice) -> str:
    scsi = dev.by_path.rsplit("-", 1)[-1].split(":")
    if len(scsi) == 4 and scsi[1] != "0":
        return f"/c{scsi[0]}/v{scsi[2]}"
    return ""


def drive_ids(ctx: NodeContext) -> list[dict[str, Any]]:
    devices = block_devices(ctx)
    sata = sorted((d for d in devices if d.by_id.startswith("ata-")), key=lambda d: d.by_id)
    scsi = sorted((d for d in devices if d.by_id.startswith("scsi-")), key=lambda d: d.by_id)
    entries: list[dict[str, Any]] = []
    for dev in sata + scsi:
        esxi = _esxi_sata(dev) if dev.by_id.startswith("ata-") else "naa." + dev.wwn
        entries.append(
            {"scsiId": dev.scsi_address, "virtualDisk": _virtual_disk(dev), "esxiWwid": esxi, "devName": dev.kname}
        )
    for k, dev in enumerate(sata + scsi):
        entries[k]["identifier"] = k
        entries[k]["linuxWwid"] = f"/dev/disk/by-id/{dev.by_id}"
    return entries or [{}]


def get_driveid(ctx: NodeContext) -> CommandResult:
    return CommandResult(json.dumps(drive_ids(ctx), separators=(",", ":")) + "\n")
