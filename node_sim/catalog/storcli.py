"""storcli64 / perccli64 JSON (``... J``) for a MegaRAID-family controller.

Answers the four catalog commands (``show ctrlcount J``, ``/c0 show all J``,
``/c0 /eall /sall show all J``, ``/c0 /vall show all J``) plus ``-v``.  Both
tools exist only on nodes whose personality has a RAID controller (either
manages a PERC or a MegaRAID); elsewhere the shell reports them missing.
"""

from __future__ import annotations

import json
from typing import Any

from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.catalog.shell import Program
from node_sim.catalog.storage import block_devices, raid_members
from node_sim.hardware import Disk, RaidController
from node_sim.hardware_identity import disk_serial, disk_wwn, part_serial

CLI_VERSIONS = {"storcli": "007.0415.0000.0000 Feb 13, 2018", "perccli": "007.0127.0000.0000 Sep 20, 2017"}
PATHS = {"storcli": "/opt/MegaRAID/storcli/storcli64", "perccli": "/opt/MegaRAID/perccli/perccli64"}


def gib(size: int) -> str:
    """MegaRAID size text: binary units, three decimals (``278.875 GB``)."""
    value = size / 2**30
    if value >= 1024:
        return f"{value / 1024:.3f} TB"
    return f"{value:.3f} GB"


def coerced(size: int) -> int:
    """Coerced size: rounded down to 1 GiB / 8 multiples, as the controller does."""
    unit = 2**30 // 8
    return size // unit * unit - unit * 4


def _status(ctx: NodeContext, tool: str, controller: int | None, ok: bool = True, why: str = "None") -> dict[str, Any]:
    status: dict[str, Any] = {
        "CLI Version": CLI_VERSIONS[tool],
        "Operating system": f"Linux {ctx.hardware.kernel}",
    }
    if controller is not None:
        status["Controller"] = controller
    status.update({"Status": "Success" if ok else "Failure", "Description": why})
    return status


def _wrap(status: dict[str, Any], data: dict[str, Any] | None) -> str:
    controller: dict[str, Any] = {"Command Status": status}
    if data is not None:
        controller["Response Data"] = data
    return json.dumps({"Controllers": [controller]}, indent=4) + "\n"


def has_tool(ctx: NodeContext, tool: str) -> bool:
    """True when the node has a MegaRAID-family controller: then both storcli64 and perccli64 answer
    (a PERC is a MegaRAID chip); without one neither is installed."""
    return ctx.hardware.raid is not None and tool in PATHS


def tool_program(tool: str) -> Program:
    """The program for ``tool`` (``storcli``/``perccli``); only offered when :func:`has_tool`."""

    def run(args: list[str], ctx: NodeContext) -> CommandResult:
        raid = ctx.hardware.raid
        if raid is None:
            return CommandResult("", f"{PATHS[tool]}: no controller\n", 1)
        return _run(tool, raid, args, ctx)

    return run


def _run(tool: str, raid: RaidController, args: list[str], ctx: NodeContext) -> CommandResult:
    words = [a.lower() for a in args]
    if words in (["-v"], ["v"]):
        name = "PercCli SAS Customization Utility" if tool == "perccli" else "StorCli SAS Customization Utility"
        return CommandResult(
            f"     {name} Ver {CLI_VERSIONS[tool]}\n\n    (c)Copyright 2017, AVAGO Technologies, "
            "All Rights Reserved.\n\n\nExit Code: 0x00\n"
        )
    if words == ["show", "ctrlcount", "j"]:
        return CommandResult(_wrap(_status(ctx, tool, None), {"Controller Count": 1}))
    if not words or not words[0].startswith("/c") or words[-1] != "j":
        return CommandResult(f"Invalid input at or near token {args[0] if args else ''}\n", "", 1)
    target = words[0][2:]
    if target != "0":
        return CommandResult(
            _wrap(
                _status(ctx, tool, int(target) if target.isdigit() else 0, False, f"Controller {target} not found"),
                None,
            ),
            "",
            2,
        )
    middle = words[1:-1]
    if middle == ["show", "all"]:
        return CommandResult(_wrap(_status(ctx, tool, 0), _controller(ctx, raid)))
    if middle == ["/eall", "/sall", "show", "all"]:
        return CommandResult(_wrap(_status(ctx, tool, 0), _drives(ctx, raid)))
    if middle == ["/vall", "show", "all"]:
        return CommandResult(_wrap(_status(ctx, tool, 0), _virtual_drives(ctx, raid)))
    return CommandResult(f"Invalid input at or near token {args[1] if len(args) > 1 else ''}\n", "", 1)


def _pd_row(raid: RaidController, slot: int, disk: Disk, dg: int) -> dict[str, Any]:
    return {
        "EID:Slt": f"{raid.enclosure_id}:{slot}",
        "DID": slot,
        "State": "Onln" if dg >= 0 else "UGood",
        "DG": dg if dg >= 0 else "-",
        "Size": gib(coerced(disk.size_bytes)),
        "Intf": disk.bus.upper(),
        "Med": "HDD" if disk.rotational else "SSD",
        "SED": "N",
        "PI": "N",
        "SeSz": "512B",
        "Model": f"{disk.model:<16}",
        "Sp": "U",
        "Type": "-",
    }


def _groups(raid: RaidController) -> dict[int, int]:
    """Controller slot -> disk group (virtual drive) number."""
    return {slot: n for n, vd in enumerate(raid.virtual_drives) for slot in vd.drives}


def _vd_row(raid: RaidController, n: int) -> dict[str, Any]:
    vd = raid.virtual_drives[n]
    return {
        "DG/VD": f"{n}/{n}",
        "TYPE": vd.raid_level,
        "State": "Optl",
        "Access": "RW",
        "Consist": "Yes",
        "Cache": "RWBD",
        "Cac": "-",
        "sCC": "ON",
        "Size": gib(vd.size_bytes),
        "Name": vd.name,
    }


def _controller(ctx: NodeContext, raid: RaidController) -> dict[str, Any]:
    members = raid_members(ctx)
    groups = _groups(raid)
    return {
        "Basics": {
            "Controller": 0,
            "Model": raid.model,
            "Serial Number": part_serial(raid.serial_pattern, ctx.identity, "raid"),
            "SAS Address": f" 5{part_serial('{hex15}', ctx.identity, 'raid-sas').lower()}",
            "PCI Address": raid.pci_address.split(":", 1)[1].replace(".", ":").rjust(11, "0"),
            "Mfg Date": "03/21/17",
            "Rework Date": "03/21/17",
            "Revision No": "A05",
        },
        "Version": {
            "Firmware Package Build": raid.firmware_package,
            "Firmware Version": raid.firmware_version,
            "Bios Version": raid.bios_version,
            "Driver Name": "megaraid_sas",
            "Driver Version": raid.driver_version,
        },
        "Bus": {
            "Vendor Id": raid.vendor_id,
            "Device Id": raid.device_id,
            "SubVendor Id": raid.subsystem_vendor_id,
            "SubDevice Id": raid.subsystem_device_id,
            "Host Interface": "PCI-E",
            "Device Interface": "SAS-12G",
            "Bus Number": int(raid.pci_address.split(":")[1], 16),
            "Device Number": 0,
            "Function Number": 0,
        },
        "Status": {
            "Controller Status": "Optimal",
            "Memory Correctable Errors": 0,
            "Memory Uncorrectable Errors": 0,
            "ECC Bucket Count": 0,
            "Any Offline VD Cache Preserved": "No",
            "BBU Status": 0,
            "Support PD Firmware Download": "Yes",
            "Lock Key Assigned": "No",
            "Failed to get lock key on bootup": "No",
            "Controller has booted into safe mode": "No",
        },
        "Virtual Drives": len(raid.virtual_drives),
        "VD LIST": [_vd_row(raid, n) for n in range(len(raid.virtual_drives))],
        "Physical Drives": len(members),
        "PD LIST": [_pd_row(raid, slot, disk, groups.get(slot, -1)) for slot, (_, disk) in enumerate(members)],
        "Enclosures": 1,
        "Enclosure LIST": [
            {
                "EID": raid.enclosure_id,
                "State": "OK",
                "Slots": 8,
                "PD": len(members),
                "PS": 0,
                "Fans": 0,
                "TSs": 0,
                "Alms": 0,
                "SIM": 1,
                "Port#": "-",
                "ProdID": "Backplane",
                "VendorSpecific": "",
            }
        ],
    }


FAILING_MEDIA_ERRORS, FAILING_PREDICTIVE = 312, 3  # a drive going bad (the disk-fail fault)


def _drives(ctx: NodeContext, raid: RaidController) -> dict[str, Any]:
    groups = _groups(raid)
    data: dict[str, Any] = {}
    for slot, (index, disk) in enumerate(raid_members(ctx)):
        name = f"Drive /c0/e{raid.enclosure_id}/s{slot}"
        data[name] = [_pd_row(raid, slot, disk, groups.get(slot, -1))]
        failing = index in ctx.failing_disks
        data[f"{name} - Detailed Information"] = {
            f"{name} State": {
                "Shield Counter": 0,
                "Media Error Count": FAILING_MEDIA_ERRORS if failing else 0,
                "Other Error Count": 0,
                "Drive Temperature": " 29C (84.20 F)",
                "Predictive Failure Count": FAILING_PREDICTIVE if failing else 0,
                "S.M.A.R.T alert flagged by drive": "Yes" if failing else "No",
            },
            f"{name} Device attributes": {
                "SN": f"{disk_serial(disk, ctx.identity, index):<20}",
                "Manufacturer Id": f"{disk.vendor:<8}",
                "Model Number": f"{disk.model:<16}",
                "NAND Vendor": "NA",
                "WWN": disk_wwn(disk, ctx.identity, index).upper(),
                "Firmware Revision": disk.firmware,
                "Raw size": f"{gib(disk.size_bytes)} [0x{disk.size_bytes // 512:x} Sectors]",
                "Coerced size": f"{gib(coerced(disk.size_bytes))} [0x{coerced(disk.size_bytes) // 512:x} Sectors]",
                "Device Speed": "12.0Gb/s",
                "Link Speed": "12.0Gb/s",
                "Write cache": "N/A",
                "Logical Sector Size": "512B",
                "Physical Sector Size": "512B",
            },
            f"{name} Policies/Settings": {
                "Drive position": f"DriveGroup:{groups.get(slot, 0)}, Span:0, Row:{slot}",
                "Enclosure position": 1,
                "Connected Port Number": f"{slot}(path0) ",
                "Sequence Number": 2,
                "Commissioned Spare": "No",
                "Emergency Spare": "No",
            },
        }
    return data


def _virtual_drives(ctx: NodeContext, raid: RaidController) -> dict[str, Any]:
    members = raid_members(ctx)
    vd_devices = [d for d in block_devices(ctx) if d.disk is None]
    data: dict[str, Any] = {}
    for n, vd in enumerate(raid.virtual_drives):
        data[f"/c0/v{n}"] = [_vd_row(raid, n)]
        data[f"PDs for VD {n}"] = [_pd_row(raid, s, members[s][1], n) for s in vd.drives if s < len(members)]
        data[f"VD{n} Properties"] = {
            "Strip Size": "64 KB",
            "Number of Blocks": vd.size_bytes // 512,
            "Span Depth": 1,
            "Number of Drives Per Span": len(vd.drives),
            "Write Cache(initial setting)": "WriteBack",
            "Disk Cache Policy": "Disk's Default",
            "Encryption": "None",
            "Data Protection": "Disabled",
            "Active Operations": "None",
            "Exposed to OS": "Yes",
            "OS Drive Name": f"/dev/{vd_devices[n].kname}" if n < len(vd_devices) else "",
            "Creation Date": "21-03-2017",
            "Creation Time": "10:12:01 AM",
            "Emulation type": "default",
            "Is LD Ready for OS Requests": "Yes",
            "SCSI NAA Id": vd_devices[n].wwn if n < len(vd_devices) else "",
        }
    return data
