"""The microkernel's catalog commands, emulated: ``run_command(cmd, node) -> CommandResult``.

Every command string RackHD sends to its discovery microkernel (rackhd-facts
§3.7) answers from the node's hardware personality and identity; in-band
``ipmitool`` talks to the node's real simulated BMC and prints what ipmitool
prints.  Downloaded scripts (``get_smart.sh``, ``get_driveid.js``,
``set_bmc_credentials.sh``, ``set_interfaces.py``) are recognised by file name
and content and their effect is emulated.
"""

from node_sim.catalog.context import (
    CommandResult,
    DhcpAddress,
    IpmiCall,
    LldpNeighbor,
    NodeContext,
    StaticAddress,
)
from node_sim.catalog.ipmi_client import bmc_ipmi
from node_sim.catalog.programs import PROGRAMS, programs_for
from node_sim.catalog.shell import run_shell


def run_command(cmd: str, node: NodeContext) -> CommandResult:
    """Run one command line (as ``/bin/sh -c cmd`` on the microkernel) against ``node``."""
    return run_shell(cmd, node, programs_for(node))


__all__ = [
    "PROGRAMS",
    "CommandResult",
    "DhcpAddress",
    "IpmiCall",
    "LldpNeighbor",
    "NodeContext",
    "StaticAddress",
    "bmc_ipmi",
    "programs_for",
    "run_command",
]
