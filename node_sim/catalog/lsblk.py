"""``lsblk -o KNAME,TYPE,ROTA`` and ``lsscsi [--size]`` over :func:`~node_sim.catalog.storage.block_devices`."""

from __future__ import annotations

from node_sim.catalog.context import CommandResult, NodeContext
from node_sim.catalog.storage import block_devices, human_size

COLUMNS = {"KNAME", "NAME", "TYPE", "ROTA", "SIZE"}


def lsblk(args: list[str], ctx: NodeContext) -> CommandResult:
    """Only ``-o`` with KNAME/NAME/TYPE/ROTA/SIZE columns; disks only (a fresh node has no partitions)."""
    columns = ["NAME", "MAJ:MIN", "RM", "SIZE", "RO", "TYPE", "MOUNTPOINT"]
    if len(args) >= 2 and args[0] == "-o":
        columns = args[1].upper().split(",")
        unknown = [c for c in columns if c not in COLUMNS]
        if unknown:
            return CommandResult("", f"lsblk: unknown column: {unknown[0]}\n", 1)
    rows = [columns]
    for dev in block_devices(ctx):
        values = {
            "KNAME": dev.kname,
            "NAME": dev.kname,
            "TYPE": "disk",
            "ROTA": "1" if dev.rotational else "0",
            "SIZE": f"{dev.size_bytes / 2**30:.1f}G",
            "MAJ:MIN": f"8:{16 * int(ord(dev.kname[-1]) - ord('a'))}",
            "RM": "0",
            "RO": "0",
            "MOUNTPOINT": "",
        }
        rows.append([values[c] for c in columns])
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    right = {"ROTA", "RM", "RO", "SIZE"}
    lines = []
    for row in rows:
        cells = [v.rjust(w) if c in right else v.ljust(w) for c, v, w in zip(columns, row, widths, strict=True)]
        lines.append(" ".join(cells).rstrip())
    return CommandResult("\n".join(lines) + "\n")


def lsscsi(args: list[str], ctx: NodeContext) -> CommandResult:
    """``lsscsi`` / ``lsscsi --size`` (``-s``)."""
    sized = "--size" in args or "-s" in args
    lines = []
    for dev in block_devices(ctx):
        line = f"{'[' + dev.scsi_address + ']':<13}disk    {dev.vendor[:8]:<8} {dev.model[:16]:<16} {dev.rev:<4}  "
        if sized:
            line += f"{'/dev/' + dev.kname:<11}{human_size(dev.size_bytes):>7}"
        else:
            line += f"/dev/{dev.kname}"
        lines.append(line.rstrip())
    return CommandResult("".join(line + "\n" for line in lines))
