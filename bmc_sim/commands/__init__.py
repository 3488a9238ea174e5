"""IPMI command handlers, one module per area, registered in one table.

Importing this package imports every area module, which fills
:data:`~bmc_sim.commands.registry.COMMANDS` through the ``@command``
decorator.  :mod:`bmc_sim.device` dispatches through that table.
"""

from bmc_sim.commands import (
    app,
    channel,
    chassis,
    dcmi,
    dcmi_identity,
    pef,
    sensor,
    sol,
    storage,
    transport,
    user,
    watchdog,
)
from bmc_sim.commands.registry import COMMANDS, CommandSpec, command, command_name, lookup

__all__ = [
    "COMMANDS",
    "CommandSpec",
    "app",
    "channel",
    "chassis",
    "command",
    "command_name",
    "dcmi",
    "dcmi_identity",
    "lookup",
    "pef",
    "sensor",
    "sol",
    "storage",
    "transport",
    "user",
    "watchdog",
]
