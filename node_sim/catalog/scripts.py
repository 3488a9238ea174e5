"""Interpreters (``bash``/``sh``, ``python``, ``node``) for the scripts RackHD downloads.

A script is recognised by its file name and a marker in its (rendered)
content; its effect is then emulated: ``get_smart.sh`` (SMART of every drive
plus HBA information), ``set_bmc_credentials.sh`` (see
:mod:`node_sim.catalog.credentials`), ``set_interfaces.py`` (static 10.0.0.100+
addresses recorded on the node) and ``get_driveid.js`` (see
:mod:`node_sim.catalog.driveid`).  A missing file fails as the interpreter
would; a file with unknown content exits 126 naming it.
"""

from __future__ import annotations

from collections.abc import Callable

from node_sim.catalog.context import CommandResult, NodeContext, StaticAddress
from node_sim.catalog.credentials import rendered_credentials, set_bmc_credentials
from node_sim.catalog.driveid import get_driveid
from node_sim.catalog.lspci import pci_functions
from node_sim.catalog.smart import scan, smart_report
from node_sim.catalog.storage import block_devices

Emulation = Callable[[NodeContext, bytes], CommandResult]


def _get_smart(ctx: NodeContext, content: bytes) -> CommandResult:
    out: list[str] = []
    seen: list[str] = []
    devices = {f"/dev/{d.kname}": d for d in block_devices(ctx)}
    names = {f.address: f"{f.vendor} {f.device} (rev {f.rev:02x})" for f in pci_functions(ctx)}
    raid_pci = ctx.hardware.raid.pci_address if ctx.hardware.raid else ""
    for entry in scan(ctx):
        out.append(f"####{entry.device} {entry.dtype}\n")
        dtype = "auto" if entry.dtype in ("ata", "scsi", "sat") else entry.dtype
        report = smart_report(ctx, entry.device, dtype).stdout
        serial = next(
            (line.split()[2] for line in report.splitlines() if "Serial" in line and len(line.split()) > 2), ""
        )
        if serial and serial in seen:
            out.append("[Debug] duplicated disk item, skip this item\n")
            continue
        out.append(report.rstrip("\n") + "\n")
        seen.append(serial)
        if "megaraid" in entry.dtype:
            host, bdf = "0", raid_pci
        else:
            dev = devices[entry.device]
            host = str(dev.host)
            bdf = (
                raid_pci
                if dev.disk is None
                else next((f.address for f in pci_functions(ctx) if f.cls == "SATA controller"), "")
            )
        name = names.get(bdf, "")
        out.append(f"###HBA Controller Information for {entry.device} {entry.dtype}\n")
        out.append(f"controller_name= {name}\n")
        out.append(f"controller_PCI_BDF={bdf}\n")
        out.append(f"host_ID={host}\n")
    return CommandResult("".join(out))


def _set_interfaces(ctx: NodeContext, content: bytes) -> CommandResult:
    names = ctx.interface_names()
    configured = [
        StaticAddress(name, f"10.0.0.{100 + n}", "255.255.255.0", "10.0.0.1" if n == 0 else None)
        for n, name in enumerate(names)
    ]
    ctx.static_addresses[:] = [a for a in ctx.static_addresses if a.interface not in names] + configured
    return CommandResult()


def _set_bmc_credentials(ctx: NodeContext, content: bytes) -> CommandResult:
    creds = rendered_credentials(content)
    if creds is None:
        return CommandResult("", "set_bmc_credentials.sh: no user/password in the rendered script\n", 1)
    return set_bmc_credentials(ctx, creds)


# file name -> (content marker, emulation)
SCRIPTS: dict[str, tuple[bytes, Emulation]] = {
    "get_smart.sh": (b"smartctl", _get_smart),
    "set_bmc_credentials.sh": (b"user set password", _set_bmc_credentials),
    "set_interfaces.py": (b"interfaces", _set_interfaces),
    "get_driveid.js": (b"by-id", lambda ctx, content: get_driveid(ctx)),
}


def run_script(filename: str, ctx: NodeContext) -> CommandResult:
    """Run a downloaded file by its emulation; unknown content exits 126."""
    content = ctx.files[filename]
    known = SCRIPTS.get(filename.rsplit("/", 1)[-1])
    if known is None or known[0] not in content:
        return CommandResult("", f"{filename}: vrack's microkernel cannot run this script (unknown content)\n", 126)
    return known[1](ctx, content)


def _script_arg(args: list[str]) -> str:
    return next((a for a in args if not a.startswith("-")), "")


def bash(args: list[str], ctx: NodeContext) -> CommandResult:
    filename = _script_arg(args)
    if not filename:
        return CommandResult()
    if filename.removeprefix("./") not in ctx.files:
        return CommandResult("", f"bash: {filename}: No such file or directory\n", 127)
    return run_script(filename.removeprefix("./"), ctx)


def python(args: list[str], ctx: NodeContext) -> CommandResult:
    filename = _script_arg(args)
    if filename.removeprefix("./") not in ctx.files:
        return CommandResult("", f"python: can't open file '{filename}': [Errno 2] No such file or directory\n", 2)
    return run_script(filename.removeprefix("./"), ctx)


def node(args: list[str], ctx: NodeContext) -> CommandResult:
    filename = _script_arg(args)
    if filename.removeprefix("./") not in ctx.files:
        return CommandResult("", f"Error: Cannot find module '/{filename.removeprefix('./')}'\n", 1)
    return run_script(filename.removeprefix("./"), ctx)
