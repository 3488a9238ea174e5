"""``dmidecode`` (3.0 text format) from the personality and the node identity.

Sections: BIOS (0), System (1), Base Board (2), Chassis (3), one Processor (4)
per socket, Physical Memory Array (16), one Memory Device (17) per DIMM,
System Boot (32), End Of Table (127).  Values avoid ``:`` because RackHD's dmi
parser keeps only the text between the first two colons.
"""

from __future__ import annotations

from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.hardware_identity import part_serial

BIOS_CHARACTERISTICS = (
    "PCI is supported",
    "BIOS is upgradeable",
    "BIOS shadowing is allowed",
    "Boot from CD is supported",
    "Selectable boot is supported",
    "BIOS ROM is socketed",
    "EDD is supported",
    "Print screen service is supported (int 5h)",
    "8042 keyboard services are supported (int 9h)",
    "Serial services are supported (int 14h)",
    "Printer services are supported (int 17h)",
    "ACPI is supported",
    "USB legacy is supported",
    "BIOS boot specification is supported",
    "Function key-initiated network boot is supported",
    "Targeted content distribution is supported",
    "UEFI is supported",
)
CPU_FLAGS = (
    ("fpu", "FPU (Floating-point unit on-chip)"),
    ("vme", "VME (Virtual mode extension)"),
    ("de", "DE (Debugging extension)"),
    ("pse", "PSE (Page size extension)"),
    ("tsc", "TSC (Time stamp counter)"),
    ("msr", "MSR (Model specific registers)"),
    ("pae", "PAE (Physical address extension)"),
    ("mce", "MCE (Machine check exception)"),
    ("cx8", "CX8 (CMPXCHG8 instruction supported)"),
    ("apic", "APIC (On-chip APIC hardware supported)"),
    ("sep", "SEP (Fast system call)"),
    ("mtrr", "MTRR (Memory type range registers)"),
    ("pge", "PGE (Page global enable)"),
    ("mca", "MCA (Machine check architecture)"),
    ("cmov", "CMOV (Conditional move instruction supported)"),
    ("pat", "PAT (Page attribute table)"),
    ("pse36", "PSE-36 (36-bit page size extension)"),
    ("clflush", "CLFSH (CLFLUSH instruction supported)"),
    ("dts", "DS (Debug store)"),
    ("acpi", "ACPI (ACPI supported)"),
    ("mmx", "MMX (MMX technology supported)"),
    ("fxsr", "FXSR (FXSAVE and FXSTOR instructions supported)"),
    ("sse", "SSE (Streaming SIMD extensions)"),
    ("sse2", "SSE2 (Streaming SIMD extensions 2)"),
    ("ss", "SS (Self-snoop)"),
    ("ht", "HTT (Multi-threading)"),
    ("tm", "TM (Thermal monitor supported)"),
    ("pbe", "PBE (Pending break enabled)"),
)
CPU_CHARACTERISTICS = (
    "64-bit capable",
    "Multi-Core",
    "Hardware Thread",
    "Execute Protection",
    "Enhanced Virtualization",
    "Power/Performance Control",
)


class _Table:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.handle = 0

    def section(self, dmi_type: int, size: int, title: str, fields: list[tuple[str, str | list[str]]]) -> int:
        handle = self.handle
        self.handle += 1
        self.lines += [f"Handle 0x{handle:04X}, DMI type {dmi_type}, {size} bytes", title]
        for key, value in fields:
            if isinstance(value, list):
                self.lines.append(f"\t{key}:")
                self.lines += [f"\t\t{v}" for v in value]
            else:
                self.lines.append(f"\t{key}: {value}")
        self.lines.append("")
        return handle


def dmidecode(args: list[str], ctx: NodeContext) -> CommandResult:
    """``dmidecode`` with no options: the full table."""
    if args:
        return CommandResult("", f"dmidecode: unsupported option {args[0]!r} (vrack emulates plain dmidecode)\n", 1)
    hw, ident = ctx.hardware, ctx.identity
    s, t = hw.system, _Table()
    out = ["# dmidecode 3.0", "Getting SMBIOS data from sysfs.", "SMBIOS 3.0 present.", "Table at 0x7AEB5000.", ""]
    t.section(
        0,
        24,
        "BIOS Information",
        [
            ("Vendor", hw.bios.vendor),
            ("Version", hw.bios.version),
            ("Release Date", hw.bios.release_date),
            ("Address", "0xF0000"),
            ("Runtime Size", "64 kB"),
            ("ROM Size", f"{hw.bios.rom_size_kb} kB"),
            ("Characteristics", list(BIOS_CHARACTERISTICS)),
            ("BIOS Revision", hw.bios.revision),
        ],
    )
    t.section(
        1,
        27,
        "System Information",
        [
            ("Manufacturer", s.manufacturer),
            ("Product Name", s.product_name),
            ("Version", s.version),
            ("Serial Number", ident.system_serial),
            ("UUID", str(ident.system_uuid).upper()),
            ("Wake-up Type", "Power Switch"),
            ("SKU Number", s.sku),
            ("Family", s.family),
        ],
    )
    t.section(
        2,
        15,
        "Base Board Information",
        [
            ("Manufacturer", s.board_manufacturer),
            ("Product Name", s.board_product),
            ("Version", s.board_version),
            ("Serial Number", ident.board),
            ("Asset Tag", ident.asset_tag or "Not Specified"),
            ("Features", ["Board is a hosting board", "Board is replaceable"]),
            ("Location In Chassis", "Not Specified"),
            ("Chassis Handle", "0x0003"),
            ("Type", "Motherboard"),
            ("Contained Object Handles", "0"),
        ],
    )
    t.section(
        3,
        22,
        "Chassis Information",
        [
            ("Manufacturer", s.chassis_manufacturer),
            ("Type", s.chassis_type),
            ("Lock", "Not Present"),
            ("Version", s.chassis_version),
            ("Serial Number", ident.chassis),
            ("Asset Tag", ident.asset_tag or "Not Specified"),
            ("Boot-up State", "Safe"),
            ("Power Supply State", "Safe"),
            ("Thermal State", "Safe"),
            ("Security Status", "None"),
            ("OEM Information", "0x00000000"),
            ("Height", "1 U"),
            ("Number Of Power Cords", "2"),
            ("Contained Elements", "0"),
            ("SKU Number", "Not Specified"),
        ],
    )
    _processors(t, ctx)
    _memory(t, ctx)
    t.section(32, 20, "System Boot Information", [("Status", "No errors detected")])
    t.lines += [f"Handle 0x{t.handle:04X}, DMI type 127, 4 bytes", "End Of Table", ""]
    return CommandResult("\n".join(out + t.lines))


def _processors(t: _Table, ctx: NodeContext) -> None:
    cpu = ctx.hardware.cpu
    eax = (cpu.model_number >> 4) << 16 | cpu.family_number << 8 | (cpu.model_number & 0x0F) << 4 | cpu.stepping
    ident = " ".join(f"{b:02X}" for b in eax.to_bytes(4, "little")) + " FF FB EB BF"
    flags = [text for key, text in CPU_FLAGS if key in cpu.flags]
    for socket in range(cpu.count):
        t.section(
            4,
            42,
            "Processor Information",
            [
                ("Socket Designation", f"CPU{socket}"),
                ("Type", "Central Processor"),
                ("Family", cpu.family),
                ("Manufacturer", cpu.manufacturer),
                ("ID", ident),
                ("Signature", f"Type 0, Family {cpu.family_number}, Model {cpu.model_number}, Stepping {cpu.stepping}"),
                ("Flags", flags),
                ("Version", cpu.model),
                ("Voltage", "1.8 V"),
                ("External Clock", "100 MHz"),
                ("Max Speed", f"{cpu.max_speed_mhz} MHz"),
                ("Current Speed", f"{cpu.speed_mhz} MHz"),
                ("Status", "Populated, Enabled"),
                ("Upgrade", "Other"),
                ("Serial Number", "Not Specified"),
                ("Asset Tag", f"UNKNOWN{socket}"),
                ("Part Number", "Not Specified"),
                ("Core Count", str(cpu.cores)),
                ("Core Enabled", str(cpu.cores)),
                ("Thread Count", str(cpu.threads)),
                ("Characteristics", list(CPU_CHARACTERISTICS)),
            ],
        )


def _memory(t: _Table, ctx: NodeContext) -> None:
    hw = ctx.hardware
    total_gb = max(hw.memory_mb // 1024 * 4, 64)
    array = t.section(
        16,
        23,
        "Physical Memory Array",
        [
            ("Location", "System Board Or Motherboard"),
            ("Use", "System Memory"),
            ("Error Correction Type", "Multi-bit ECC"),
            ("Maximum Capacity", f"{total_gb} GB"),
            ("Error Information Handle", "Not Provided"),
            ("Number Of Devices", str(len(hw.dimms))),
        ],
    )
    for index, dimm in enumerate(hw.dimms):
        t.section(
            17,
            40,
            "Memory Device",
            [
                ("Array Handle", f"0x{array:04X}"),
                ("Error Information Handle", "Not Provided"),
                ("Total Width", "72 bits"),
                ("Data Width", "64 bits"),
                ("Size", f"{dimm.size_mb} MB"),
                ("Form Factor", "DIMM"),
                ("Set", "None"),
                ("Locator", dimm.locator),
                ("Bank Locator", dimm.bank),
                ("Type", dimm.type),
                ("Type Detail", "Synchronous Registered (Buffered)"),
                ("Speed", f"{dimm.speed_mts} MHz"),
                ("Manufacturer", dimm.manufacturer),
                ("Serial Number", part_serial(dimm.serial_pattern, ctx.identity, "dimm", index)),
                ("Asset Tag", f"{dimm.locator}_AssetTag"),
                ("Part Number", dimm.part_number),
                ("Rank", "2"),
                ("Configured Clock Speed", f"{dimm.speed_mts} MHz"),
                ("Minimum Voltage", "1.2 V"),
                ("Maximum Voltage", "1.2 V"),
                ("Configured Voltage", "1.2 V"),
            ],
        )
