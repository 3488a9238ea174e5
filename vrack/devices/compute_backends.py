"""The host behind a compute node's BMC: which backend runs it (none, ``sim`` or ``vm``), built here.

:func:`node_backend` picks it from the spec (``backend:``) and the rack mode: loopback racks have no
provisioning network, so their hosts power on but do not boot.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from node_sim.console import NodeConsole
from node_sim.hardware import load_hardware
from node_sim.hardware_identity import NodeIdentity
from vrack.devices import RackContext
from vrack.nodes.base import NodeBackend, NoNetworkBackend
from vrack.nodes.vm_console import VmConsole

if TYPE_CHECKING:
    from vrack.devices.compute import ComputeDevice
    from vrack.plan import NodePlan

SERIAL_SOCKETS = Path("/run/vrack")  # VM serial sockets: short paths (a UNIX socket path has 108 bytes at most)

CHASSIS_RESET = bytes([0x03])


def _vm_backend(device: ComputeDevice, context: RackContext) -> NodeBackend:
    from vrack.nodes.vm_backend import VmBackend  # libvirt is an optional dependency (the [vm] extra)
    from vrack.nodes.vm_media import MEDIA_ROOT

    plan = device.plan
    assert context.state_path is not None and isinstance(device.console, VmConsole)
    serial_log = context.state_path / f"{plan.name}.console.log"
    media_dir = MEDIA_ROOT / context.state_path.name  # QEMU's user must reach the image (vm_media)
    return VmBackend(plan.name, plan.nic_macs, serial_log, context.journal, context.reactor, device.console, media_dir)


def node_identity(plan: NodePlan) -> NodeIdentity:
    """The node's identity as its host sees it (SMBIOS serials and UUID, MACs): the plan's, which its BMC's FRU
    and Redfish service carry too."""
    return NodeIdentity(
        name=plan.name,
        system_serial=plan.system_serial,
        system_uuid=uuid.UUID(plan.system_uuid),
        nic_macs=plan.nic_macs,
        bmc_ip=str(plan.bmc_address),
        bmc_mac=plan.bmc_mac,
        board_serial=plan.board_serial,
        chassis_serial=plan.chassis_serial,
    )


def _sim_backend(device: ComputeDevice, context: RackContext) -> NodeBackend:
    from node_sim.netboot_types import NicConfig
    from vrack.nodes.sim import SimBackend, task_poll_interval

    plan, network = device.plan, context.network
    assert network is not None
    nics = [NicConfig(mac, network.node_interface(plan.name, f"nic{i}", mac)[1]) for i, mac in enumerate(plan.nic_macs)]
    identity = node_identity(plan)

    def reboot() -> None:  # an OS reboot: the host resets, the BMC's boot flags apply
        if device.bmc.ac_powered and device.host_powered:
            device._in_band_status(0x00, 0x02, CHASSIS_RESET)

    return SimBackend(
        plan.name,
        plan.spec.model,
        identity,
        nics,
        network,
        device.bmc,
        context.journal,
        context.reactor,
        reboot,
        poll_interval=task_poll_interval(),
        failing_disks=device.failing_disks,
    )


BACKENDS: dict[str, Callable[[ComputeDevice, RackContext], NodeBackend]] = {"vm": _vm_backend, "sim": _sim_backend}


def node_console(plan: NodePlan, context: RackContext) -> NodeConsole | VmConsole:
    """The node's serial console (what SOL shows), kept in ``<state>/<node>.console.log`` when the rack has a
    state directory: a VM's own serial port (QEMU writes the log), else the simulated node's."""
    if plan.spec.backend == "vm" and context.network is not None and context.state_path is not None:
        socket_path = SERIAL_SOCKETS / context.state_path.name / f"{plan.name}.serial"
        socket_path.parent.mkdir(parents=True, exist_ok=True)
        return VmConsole(socket_path, context.reactor)
    log = context.state_path / f"{plan.name}.console.log" if context.state_path is not None else None
    return NodeConsole(plan.name, load_hardware(plan.spec.model), context.reactor, log, tuple(plan.nic_macs))


def node_backend(device: ComputeDevice, context: RackContext) -> NodeBackend:
    """The node's host: none without a provisioning network (loopback mode), else by ``backend:``."""
    if context.network is None:
        return NoNetworkBackend(device.plan.name, context.journal)
    return BACKENDS[device.plan.spec.backend](device, context)
