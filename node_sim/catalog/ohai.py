"""``ohai --directory /etc/ohai/plugins``: the JSON document ohai 6 prints on the microkernel.

RackHD's SKU packs read ``dmi.system.manufacturer`` and ``dmi.system.product_name``;
the rest (cpu, memory, network, block devices, kernel, platform) follows ohai's
key layout so other consumers find what they expect.
"""

from __future__ import annotations

import json
from typing import Any

from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.catalog.storage import block_devices


def ohai(args: list[str], ctx: NodeContext) -> CommandResult:
    return CommandResult(json.dumps(ohai_document(ctx), indent=2, sort_keys=True) + "\n")


def _dmi(ctx: NodeContext) -> dict[str, Any]:
    hw, ident, s = ctx.hardware, ctx.identity, ctx.hardware.system
    return {
        "dmidecode_version": "3.0",
        "smbios_version": "3.0",
        "table_location": "0x7AEB5000",
        "bios": {
            "vendor": hw.bios.vendor,
            "version": hw.bios.version,
            "release_date": hw.bios.release_date,
            "address": "0xF0000",
            "runtime_size": "64 kB",
            "rom_size": f"{hw.bios.rom_size_kb} kB",
            "bios_revision": hw.bios.revision,
        },
        "system": {
            "manufacturer": s.manufacturer,
            "product_name": s.product_name,
            "version": s.version,
            "serial_number": ident.system_serial,
            "uuid": str(ident.system_uuid).upper(),
            "wake_up_type": "Power Switch",
            "sku_number": s.sku,
            "family": s.family,
        },
        "base_board": {
            "manufacturer": s.board_manufacturer,
            "product_name": s.board_product,
            "version": s.board_version,
            "serial_number": ident.board,
            "asset_tag": ident.asset_tag or "Not Specified",
            "location_in_chassis": "Not Specified",
            "type": "Motherboard",
        },
        "chassis": {
            "manufacturer": s.chassis_manufacturer,
            "type": s.chassis_type,
            "version": s.chassis_version,
            "serial_number": ident.chassis,
            "asset_tag": ident.asset_tag or "Not Specified",
            "boot_up_state": "Safe",
            "power_supply_state": "Safe",
            "thermal_state": "Safe",
            "security_status": "None",
        },
        "processor": {
            "socket_designation": "CPU0",
            "type": "Central Processor",
            "family": hw.cpu.family,
            "manufacturer": hw.cpu.manufacturer,
            "version": hw.cpu.model,
            "max_speed": f"{hw.cpu.max_speed_mhz} MHz",
            "current_speed": f"{hw.cpu.speed_mhz} MHz",
            "core_count": str(hw.cpu.cores),
            "thread_count": str(hw.cpu.threads),
        },
    }


def _cpu(ctx: NodeContext) -> dict[str, Any]:
    cpu = ctx.hardware.cpu
    out: dict[str, Any] = {}
    per_socket = cpu.threads
    for n in range(cpu.count * per_socket):
        socket, thread = divmod(n, per_socket)
        out[str(n)] = {
            "vendor_id": "GenuineIntel" if cpu.manufacturer == "Intel" else cpu.manufacturer,
            "family": str(cpu.family_number),
            "model": str(cpu.model_number),
            "model_name": cpu.model,
            "stepping": str(cpu.stepping),
            "mhz": f"{cpu.speed_mhz:.3f}",
            "cache_size": f"{cpu.cache_kb} KB",
            "physical_id": str(socket),
            "core_id": str(thread % cpu.cores),
            "cores": str(cpu.cores),
            "flags": list(cpu.flags),
        }
    out.update({"total": cpu.count * cpu.threads, "real": cpu.count, "cores": cpu.count * cpu.cores})
    return out


def _network(ctx: NodeContext) -> dict[str, Any]:
    interfaces: dict[str, Any] = {
        "lo": {
            "mtu": "65536",
            "flags": ["LOOPBACK", "UP", "LOWER_UP"],
            "encapsulation": "Loopback",
            "addresses": {"127.0.0.1": {"family": "inet", "prefixlen": "8", "netmask": "255.0.0.0", "scope": "Node"}},
            "state": "unknown",
        }
    }
    static = {a.interface: a for a in ctx.static_addresses}
    for n, (name, mac) in enumerate(zip(ctx.interface_names(), ctx.identity.nic_macs, strict=False)):
        addresses: dict[str, Any] = {mac.upper(): {"family": "lladdr"}}
        if name in static:
            a = static[name]
            addresses[a.address] = {"family": "inet", "prefixlen": "24", "netmask": a.netmask, "scope": "Global"}
        interfaces[name] = {
            "type": "eth",
            "number": str(n),
            "mtu": "1500",
            "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
            "encapsulation": "Ethernet",
            "addresses": addresses,
            "state": "up",
            "link_speed": ctx.hardware.nics[n].speed_mbps,
        }
    return {"interfaces": interfaces, "default_interface": "eth0"}


def ohai_document(ctx: NodeContext) -> dict[str, Any]:
    hw = ctx.hardware
    uptime = int(ctx.uptime())
    mem_kb = hw.memory_mb * 1024 * 98 // 100
    static = {a.interface: a.address for a in ctx.static_addresses}
    return {
        "dmi": _dmi(ctx),
        "cpu": _cpu(ctx),
        "memory": {
            "total": f"{mem_kb}kB",
            "free": f"{mem_kb * 95 // 100}kB",
            "buffers": "2048kB",
            "cached": f"{mem_kb // 100}kB",
            "swap": {"total": "0kB", "free": "0kB"},
        },
        "network": _network(ctx),
        "block_device": {
            d.kname: {
                "size": str(d.sectors),
                "removable": "0",
                "model": d.model,
                "rev": d.rev,
                "state": "running",
                "timeout": "30",
                "vendor": d.vendor,
                "rotational": "1" if d.rotational else "0",
            }
            for d in block_devices(ctx)
        },
        "kernel": {
            "name": "Linux",
            "release": hw.kernel,
            "version": "#1 SMP",
            "machine": "x86_64",
            "os": "GNU/Linux",
        },
        "os": "linux",
        "os_version": hw.kernel,
        "platform": "debian",
        "platform_version": "8.11",
        "platform_family": "debian",
        "hostname": ctx.hostname,
        "fqdn": ctx.hostname,
        "domain": None,
        "macaddress": ctx.identity.nic_macs[0].upper() if ctx.identity.nic_macs else None,
        "ipaddress": static.get("eth0"),
        "uptime_seconds": uptime,
        "uptime": f"{uptime // 60} minutes {uptime % 60} seconds",
        "ohai_time": round(ctx.now(), 3),
        "languages": {"ruby": {"version": "2.1.5", "platform": "x86_64-linux-gnu"}},
        "chef_packages": {"ohai": {"version": "6.14.0", "ohai_root": "/usr/lib/ruby/vendor_ruby/ohai"}},
    }
