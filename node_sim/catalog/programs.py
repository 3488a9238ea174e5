"""The programs installed on the emulated microkernel, by the name a command line uses.

:func:`programs_for` adds the RAID tool (``storcli64`` or ``perccli64``) only on
nodes whose personality has such a controller, so elsewhere the shell reports
it missing as the real image would.
"""

from __future__ import annotations

from node_sim.catalog.context import NodeContext
from node_sim.catalog.dmidecode import dmidecode
from node_sim.catalog.ipmitool import run_ipmitool
from node_sim.catalog.iproute import ip
from node_sim.catalog.lldp import lldpcli
from node_sim.catalog.lsblk import lsblk, lsscsi
from node_sim.catalog.lshw import lshw
from node_sim.catalog.lspci import lspci
from node_sim.catalog.ohai import ohai
from node_sim.catalog.scripts import bash, node, python
from node_sim.catalog.shell import Program
from node_sim.catalog.smart import smartctl
from node_sim.catalog.storcli import PATHS, has_tool, tool_program

PROGRAMS: dict[str, Program] = {
    "ipmitool": run_ipmitool,
    "dmidecode": dmidecode,
    "ohai": ohai,
    "lshw": lshw,
    "lspci": lspci,
    "lsblk": lsblk,
    "lsscsi": lsscsi,
    "smartctl": smartctl,
    "lldpcli": lldpcli,
    "ip": ip,
    "/sbin/ip": ip,
    "/usr/sbin/lldpcli": lldpcli,
    "bash": bash,
    "sh": bash,
    "/bin/bash": bash,
    "python": python,
    "node": node,
}
RAID_TOOLS: dict[str, Program] = {PATHS[tool]: tool_program(tool) for tool in PATHS}


def programs_for(ctx: NodeContext) -> dict[str, Program]:
    """The program table of ``ctx``'s node (base programs plus its RAID tool, if any)."""
    table = dict(PROGRAMS)
    for tool, path in PATHS.items():
        if has_tool(ctx, tool):
            table[path] = RAID_TOOLS[path]
            table[path.rsplit("/", 1)[-1]] = RAID_TOOLS[path]
    return table
