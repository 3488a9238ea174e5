"""``lspci -nn -vmm`` (and ``lspci -s BDF``) from the personality's PCI functions, NICs and RAID controller."""

from __future__ import annotations

from dataclasses import dataclass

from node_sim.catalog.context import CommandResult, NodeContext

NIC_SUBSYSTEM_NAMES = {0x152D: "Quanta Computer Inc", 0x1028: "Dell", 0x15D9: "Super Micro Computer Inc"}


@dataclass(frozen=True)
class PciFunction:
    address: str
    cls: str
    class_id: int
    vendor: str
    vendor_id: int
    device: str
    device_id: int
    svendor: str
    svendor_id: int
    sdevice: str
    sdevice_id: int
    rev: int


def pci_functions(ctx: NodeContext) -> list[PciFunction]:
    """All PCI functions in bus order."""
    hw = ctx.hardware
    funcs = [
        PciFunction(
            p.address,
            p.cls,
            p.class_id,
            p.vendor,
            p.vendor_id,
            p.device,
            p.device_id,
            p.subsystem_vendor,
            p.subsystem_vendor_id,
            p.subsystem_device,
            p.subsystem_device_id,
            p.revision,
        )
        for p in hw.pci
    ]
    for nic in hw.nics:
        svendor = NIC_SUBSYSTEM_NAMES.get(nic.subsystem_vendor_id, nic.vendor)
        funcs.append(
            PciFunction(
                nic.pci_address,
                "Ethernet controller",
                0x0200,
                nic.vendor,
                nic.vendor_id,
                nic.product,
                nic.device_id,
                svendor,
                nic.subsystem_vendor_id,
                "Device",
                nic.subsystem_device_id,
                1,
            )
        )
    if hw.raid is not None:
        r = hw.raid
        funcs.append(
            PciFunction(
                r.pci_address,
                "RAID bus controller",
                0x0104,
                r.vendor,
                r.vendor_id,
                "MegaRAID SAS-3 3108 [Invader]",
                r.device_id,
                "Dell" if r.subsystem_vendor_id == 0x1028 else r.vendor,
                r.subsystem_vendor_id,
                r.model,
                r.subsystem_device_id,
                2,
            )
        )
    return sorted(funcs, key=lambda f: f.address)


def short_address(address: str) -> str:
    """``0000:01:00.0`` -> ``01:00.0`` (lspci omits domain 0)."""
    return address[5:] if address.startswith("0000:") else address


def lspci(args: list[str], ctx: NodeContext) -> CommandResult:
    funcs = pci_functions(ctx)
    if "-s" in args:
        index = args.index("-s") + 1
        wanted = args[index] if index < len(args) else ""
        funcs = [f for f in funcs if wanted and (f.address == wanted or short_address(f.address) == wanted)]
        lines = [f"{short_address(f.address)} {f.cls}: {f.vendor} {f.device} (rev {f.rev:02x})" for f in funcs]
        return CommandResult("".join(line + "\n" for line in lines))
    numeric = "-nn" in args
    if "-vmm" not in args:
        lines = [f"{short_address(f.address)} {f.cls}: {f.vendor} {f.device} (rev {f.rev:02x})" for f in funcs]
        return CommandResult("".join(line + "\n" for line in lines))
    blocks = []
    for f in funcs:

        def tag(name: str, ident: int, width: int) -> str:
            return f"{name} [{ident:0{width}x}]" if numeric else name

        block = [
            f"Slot:\t{short_address(f.address)}",
            f"Class:\t{tag(f.cls, f.class_id, 4)}",
            f"Vendor:\t{tag(f.vendor, f.vendor_id, 4)}",
            f"Device:\t{tag(f.device, f.device_id, 4)}",
            f"SVendor:\t{tag(f.svendor, f.svendor_id, 4)}",
            f"SDevice:\t{tag(f.sdevice, f.sdevice_id, 4)}",
        ]
        if f.rev:
            block.append(f"Rev:\t{f.rev:02x}")
        blocks.append("\n".join(block) + "\n")
    return CommandResult("\n".join(blocks) + "\n")
