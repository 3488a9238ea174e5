"""``lshw -json``: system -> core (motherboard) -> firmware, CPUs, memory, PCI tree.

NICs sit under PCI bridges of the host bridge ``pci:0`` with class
``network`` and ``serial`` = MAC, where RackHD's lshw parser looks for MAC
addresses (``children[0].children[pci*].children[pci*].children[network]``).
"""

from __future__ import annotations

import json
from typing import Any

from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.catalog.lspci import short_address
from node_sim.catalog.storage import BlockDevice, block_devices
from node_sim.hardware_identity import part_serial


def lshw(args: list[str], ctx: NodeContext) -> CommandResult:
    if "-json" not in args:
        return CommandResult("", "lshw: vrack emulates only 'lshw -json'\n", 1)
    return CommandResult(json.dumps(lshw_tree(ctx), indent=2) + "\n")


def lshw_tree(ctx: NodeContext) -> dict[str, Any]:
    ident, s = ctx.identity, ctx.hardware.system
    core: dict[str, Any] = {
        "id": "core",
        "class": "bus",
        "claimed": True,
        "handle": "DMI:0002",
        "description": "Motherboard",
        "product": s.board_product,
        "vendor": s.board_manufacturer,
        "physid": "0",
        "version": s.board_version,
        "serial": ident.board,
        "children": [_firmware(ctx), *_cpus(ctx), _memory(ctx), _pci_root(ctx)],
    }
    return {
        "id": ctx.hostname,
        "class": "system",
        "claimed": True,
        "handle": "DMI:0001",
        "description": "Rack Mount Chassis",
        "product": f"{s.product_name} ({s.sku})",
        "vendor": s.manufacturer,
        "version": s.version,
        "serial": ident.system_serial,
        "width": 64,
        "configuration": {
            "boot": "normal",
            "chassis": "rackmount",
            "family": s.family,
            "sku": s.sku,
            "uuid": str(ident.system_uuid).upper(),
        },
        "capabilities": {
            "smbios-3.0": "SMBIOS version 3.0",
            "dmi-3.0": "DMI version 3.0",
            "vsyscall32": "32-bit processes",
        },
        "children": [core],
    }


def _firmware(ctx: NodeContext) -> dict[str, Any]:
    bios = ctx.hardware.bios
    return {
        "id": "firmware",
        "class": "memory",
        "claimed": True,
        "description": "BIOS",
        "vendor": bios.vendor,
        "physid": "0",
        "version": bios.version,
        "date": bios.release_date,
        "units": "bytes",
        "size": 65536,
        "capacity": bios.rom_size_kb * 1024,
    }


def _cpus(ctx: NodeContext) -> list[dict[str, Any]]:
    cpu = ctx.hardware.cpu
    return [
        {
            "id": f"cpu:{n}",
            "class": "processor",
            "claimed": True,
            "handle": f"DMI:{0x0004 + n:04X}",
            "description": "CPU",
            "product": cpu.model,
            "vendor": "Intel Corp." if cpu.manufacturer == "Intel" else cpu.manufacturer,
            "physid": str(4 + n),
            "businfo": f"cpu@{n}",
            "version": cpu.model,
            "slot": f"CPU{n}",
            "units": "Hz",
            "size": cpu.speed_mhz * 1_000_000,
            "capacity": cpu.max_speed_mhz * 1_000_000,
            "width": 64,
            "clock": 100_000_000,
            "configuration": {"cores": str(cpu.cores), "enabledcores": str(cpu.cores), "threads": str(cpu.threads)},
            "capabilities": {f: True for f in cpu.flags[:24]},
        }
        for n in range(cpu.count)
    ]


def _memory(ctx: NodeContext) -> dict[str, Any]:
    hw = ctx.hardware
    banks = [
        {
            "id": f"bank:{n}",
            "class": "memory",
            "claimed": True,
            "handle": f"DMI:{0x0011 + n:04X}",
            "description": f"DIMM {d.type} Synchronous Registered (Buffered) {d.speed_mts} MHz "
            f"({1000 / d.speed_mts:.1f} ns)",
            "product": d.part_number,
            "vendor": d.manufacturer,
            "physid": str(n),
            "serial": part_serial(d.serial_pattern, ctx.identity, "dimm", n),
            "slot": d.locator,
            "units": "bytes",
            "size": d.size_mb * 2**20,
            "width": 64,
            "clock": d.speed_mts * 1_000_000,
        }
        for n, d in enumerate(hw.dimms)
    ]
    return {
        "id": "memory",
        "class": "memory",
        "claimed": True,
        "handle": "DMI:0010",
        "description": "System Memory",
        "physid": "10",
        "slot": "System board or motherboard",
        "units": "bytes",
        "size": hw.memory_mb * 2**20,
        "children": banks,
    }


def _pci_root(ctx: NodeContext) -> dict[str, Any]:
    hw = ctx.hardware
    host = next((p for p in hw.pci if p.cls == "Host bridge"), None)
    bridges: dict[str, dict[str, Any]] = {}
    for n, (nic, mac) in enumerate(zip(hw.nics, ctx.identity.nic_macs, strict=False)):
        bus = nic.pci_address.rsplit(":", 1)[0]
        bridge = bridges.setdefault(bus, _bridge(len(bridges), bus))
        bridge["children"].append(_network(ctx, n, mac))
    children: list[dict[str, Any]] = list(bridges.values())
    devices = block_devices(ctx)
    if hw.raid is not None:
        raid = _bridge(len(children), hw.raid.pci_address.rsplit(":", 1)[0])
        raid["children"].append(
            _storage(
                hw.raid.pci_address,
                "RAID bus controller",
                hw.raid.model,
                hw.raid.vendor,
                "megaraid_sas",
                [d for d in devices if d.disk is None],
            )
        )
        children.append(raid)
    sata = next((p for p in hw.pci if p.cls == "SATA controller"), None)
    attached = [d for d in devices if d.disk is not None]
    if sata is not None or attached:
        address = sata.address if sata else "0000:00:1f.2"
        children.append(
            _storage(
                address,
                "SATA controller",
                sata.device if sata else "SATA controller",
                sata.vendor if sata else "Intel Corporation",
                "ahci",
                attached,
            )
        )
    return {
        "id": "pci:0",
        "class": "bridge",
        "claimed": True,
        "handle": "PCIBUS:0000:00",
        "description": "Host bridge",
        "product": host.device if host else "Host bridge",
        "vendor": host.vendor if host else "Intel Corporation",
        "physid": "100",
        "businfo": "pci@0000:00:00.0",
        "version": f"{host.revision if host else 0:02x}",
        "width": 32,
        "clock": 33_000_000,
        "children": children,
    }


def _bridge(n: int, bus: str) -> dict[str, Any]:
    return {
        "id": f"pci:{n}",
        "class": "bridge",
        "claimed": True,
        "handle": f"PCIBUS:{bus}",
        "description": "PCI bridge",
        "product": "PCI Express Root Port",
        "vendor": "Intel Corporation",
        "physid": str(n + 1),
        "businfo": f"pci@0000:00:{n + 1:02x}.0",
        "version": "02",
        "width": 32,
        "clock": 33_000_000,
        "configuration": {"driver": "pcieport"},
        "children": [],
    }


def _network(ctx: NodeContext, n: int, mac: str) -> dict[str, Any]:
    nic = ctx.hardware.nics[n]
    gbit = nic.speed_mbps // 1000
    return {
        "id": f"network:{n}",
        "class": "network",
        "claimed": True,
        "handle": f"PCI:{nic.pci_address}",
        "description": "Ethernet interface",
        "product": nic.product,
        "vendor": nic.vendor,
        "physid": nic.pci_address.rsplit(".", 1)[-1],
        "businfo": f"pci@{nic.pci_address}",
        "logicalname": f"eth{n}",
        "version": "01",
        "serial": mac,
        "units": "bit/s",
        "size": nic.speed_mbps * 1_000_000,
        "capacity": nic.speed_mbps * 1_000_000,
        "width": 32,
        "clock": 33_000_000,
        "configuration": {
            "autonegotiation": "on",
            "broadcast": "yes",
            "driver": nic.driver,
            "driverversion": nic.driver_version,
            "duplex": "full",
            "firmware": nic.firmware,
            "latency": "0",
            "link": "yes",
            "multicast": "yes",
            "port": "twisted pair",
            "speed": f"{gbit}Gbit/s" if gbit else f"{nic.speed_mbps}Mbit/s",
        },
        "capabilities": {
            "pm": "Power Management",
            "msi": "Message Signalled Interrupts",
            "bus_master": "bus mastering",
            "ethernet": True,
            "physical": "Physical interface",
            "tp": "twisted pair",
            "autonegotiation": "Auto-negotiation",
        },
    }


def _storage(
    address: str, cls: str, product: str, vendor: str, driver: str, disks: list[BlockDevice]
) -> dict[str, Any]:
    return {
        "id": "storage",
        "class": "storage",
        "claimed": True,
        "handle": f"PCI:{address}",
        "description": cls,
        "product": product,
        "vendor": vendor,
        "physid": "0",
        "businfo": f"pci@{address}",
        "logicalname": "scsi0",
        "configuration": {"driver": driver},
        "children": [_disk(d) for d in disks],
        "slot": short_address(address),
    }


def _disk(dev: BlockDevice) -> dict[str, Any]:
    return {
        "id": f"disk:{dev.scsi_address.split(':')[0]}",
        "class": "disk",
        "claimed": True,
        "handle": "SCSI:" + ":".join(f"{int(part):02d}" for part in dev.scsi_address.split(":")),
        "description": "ATA Disk" if dev.vendor == "ATA" else "SCSI Disk",
        "product": dev.model,
        "vendor": dev.vendor,
        "physid": "0.0.0",
        "businfo": "scsi@{}:{}.{}.{}".format(*dev.scsi_address.split(":")),
        "logicalname": f"/dev/{dev.kname}",
        "version": dev.rev,
        "serial": dev.serial,
        "units": "bytes",
        "size": dev.size_bytes,
        "configuration": {"ansiversion": "5", "logicalsectorsize": "512", "sectorsize": "512"},
    }
