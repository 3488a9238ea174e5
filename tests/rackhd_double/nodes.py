"""Simulated nodes for the tests that drive the double: personality + identity + a real Bmc.

The Bmc is ``bmc_sim.device.Bmc`` built from :func:`node_sim.hardware_bmc.bmc_config`
and wired in band exactly as the rack wires it (:func:`node_sim.catalog.bmc_ipmi`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twisted.internet.task import Clock

from bmc_sim.config import UserConfig
from bmc_sim.device import Bmc
from node_sim.catalog import LldpNeighbor, NodeContext, bmc_ipmi
from node_sim.hardware import Hardware, load_hardware
from node_sim.hardware_bmc import bmc_config
from node_sim.hardware_identity import NodeIdentity, derive_identity

ADMIN = (UserConfig(2, "admin", "admin"),)


@dataclass
class SimNode:
    hardware: Hardware
    identity: NodeIdentity
    bmc: Bmc
    ctx: NodeContext
    clock: Any


def make_node(
    hardware: str = "quanta-d51",
    *,
    name: str = "node1",
    seed: str = "vrack-test",
    bmc_ip: str = "127.24.0.9",
    clock: Any = None,
    users: tuple[UserConfig, ...] = ADMIN,
    ipmitool_version: str = "1.8.14",
    neighbors: tuple[LldpNeighbor, ...] = (),
    **bmc_options: Any,
) -> SimNode:
    """A node whose BMC answers at once (``boot_time`` 0) on ``clock`` (a fresh ``task.Clock`` by default)."""
    hw = load_hardware(hardware)
    ident = derive_identity(seed, name, hw, bmc_ip)
    clock = clock if clock is not None else Clock()
    bmc = Bmc(bmc_config(hw, ident, users, **{"boot_time": 0.0, **bmc_options}), clock)
    ctx = NodeContext(
        hw,
        ident,
        ipmi=bmc_ipmi(bmc),
        neighbors=neighbors,
        uptime=clock.seconds,
        ipmitool_version=ipmitool_version,
    )
    return SimNode(hw, ident, bmc, ctx, clock)
