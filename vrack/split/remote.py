"""The coordinator's stand-in for a compute node that a worker process serves.

:class:`RemoteNode` plays :class:`vrack.roles.ComputeNode` for the power model, the control API and the
rack: AC power and chassis control go to the worker that serves the node, and what the rack reads
(host power, draw, ``describe()``, credentials) is the state the worker last sent, which it sends after
every AC change, chassis control and host power change.  The node's journal entries reach the rack's
journal through the worker's channel, not through this object.

Not split yet (refused with :class:`vrack.errors.Unavailable`, naming the worker): faults, SEL, sensors and
disks of a worker-served node.  Its switch ports still follow its host power (cabling is the coordinator's);
the LLDP neighbours its simulated host would hear are not passed to the worker.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Literal

from vrack.devices.base import DeviceService
from vrack.errors import DeviceStateConflict, Unavailable
from vrack.plan import NodePlan
from vrack.roles import BmcFault, ComputeNode, HostPowerListener, LinkEnd, NeighborSource, PowerAction, SensorLevels

Send = Callable[[dict[str, Any]], None]


class RemoteNode(DeviceService, ComputeNode):
    """A compute node served by worker ``worker``; ``send`` delivers a message to that worker.

    It names its role as a base, as the local devices do: the rack's ``isinstance`` checks against the role
    protocols then hold by inheritance, also after zope.interface has added ``__provides__`` to the protocol
    classes (it does when the rack builds its PDUs and switches, and the protocols' attribute lists grow).
    """

    kind = "compute"

    def __init__(self, plan: NodePlan, worker: int, send: Send) -> None:
        super().__init__(plan.name, plan.spec.model)
        self.plan = plan
        self.worker = worker
        self._send = send
        self._listeners: list[HostPowerListener] = []
        self._draw_listeners: list[Callable[[], None]] = []
        self._ac = False
        self._host = False
        self._draw = 0.0
        self._described: dict[str, Any] = self._from_plan()
        self._credentials: dict[str, Any] = {}
        self._responsive = False

    def _from_plan(self) -> dict[str, Any]:
        """What the plan says of the node (until the worker sends its ``describe()``, at a host power change)."""
        plan = self.plan
        return {
            "name": plan.name,
            "kind": self.kind,
            "model": plan.spec.model,
            "bmc": {"address": str(plan.bmc_address), "port": plan.bmc_port, "users": []},
            "nics": [{"name": f"nic{i}", "mac": mac} for i, mac in enumerate(plan.nic_macs)],
            "serial": plan.system_serial,
            "uuid": plan.system_uuid,
        }

    # ------------------------------------------------------------------ state from the worker

    def update(self, state: dict[str, Any], cause: str = "") -> None:
        """The worker's report of the node after a change; host power listeners hear of a change."""
        was_on, drew = self._host, self._draw
        self._ac = bool(state["ac"])
        self._host = bool(state["host"])
        self._draw = float(state["draw"])
        self._responsive = bool(state.get("responsive", False))
        if "credentials" in state:
            self._credentials = dict(state["credentials"])
        if "describe" in state:
            self._described = dict(state["describe"])
        described = self._described
        described.update(power=self._host, ac_power=self._ac, worker=self.worker)
        bmc = described["bmc"] = dict(described["bmc"])
        bmc["responsive"] = self._responsive
        if "users" in state.get("credentials", {}).get("bmc", {}):
            bmc["users"] = [user["name"] for user in state["credentials"]["bmc"]["users"]]
        if self._host != was_on:
            for listener in list(self._listeners):
                listener(self._host, cause or str(state.get("cause", "")))
        elif self._draw != drew:
            for draw_listener in list(self._draw_listeners):
                draw_listener()

    def describe(self) -> dict[str, Any]:
        """Power, AC and whether the BMC answers as the worker last reported them (after every AC change,
        chassis control and host power change); the rest as of the node's last host power change (from the
        plan before the first), with ``worker``: the index of the process that serves it."""
        return self._described

    def credentials(self) -> dict[str, Any]:
        return self._credentials

    def answers_on_the_wire(self) -> bool:
        return self._responsive

    # ------------------------------------------------------------------ power (PoweredHost, ManagedHost)

    @property
    def host_powered(self) -> bool:
        return self._host

    def power_draw(self) -> float:
        return self._draw

    def add_host_power_listener(self, listener: HostPowerListener) -> None:
        self._listeners.append(listener)

    def add_draw_listener(self, listener: Callable[[], None]) -> None:
        """``listener()`` when a reported draw changed while host power did not (a power limit)."""
        self._draw_listeners.append(listener)

    def set_ac(self, on: bool, cause: str) -> None:
        """AC at the node's supplies: the worker applies it (and journals it when it changes)."""
        self._ac = on
        self._send({"t": "ac", "node": self.device_name, "on": on, "cause": cause})

    def control_power(self, action: PowerAction, cause: str) -> None:
        """Chassis control through the node's BMC in the worker.

        Refused here when the node has no AC power; a refusal by the BMC itself (completion code 0xD5) is
        journalled by the coordinator as ``control power-refused`` once the worker reports it.
        """
        if not self._ac:
            raise DeviceStateConflict(f"{self.device_name} has no AC power (its PDU outlets are off)", "action")
        self._send({"t": "power", "node": self.device_name, "action": action, "cause": cause})

    # ------------------------------------------------------------------ cabling (CabledHost)

    @property
    def nic_count(self) -> int:
        return len(self.plan.nic_macs)

    def nic_end(self, nic: int) -> LinkEnd:
        """What a switch port cabled to NIC ``nic`` sees (the same as a local node's)."""
        return self.plan.nic_end(nic)

    def set_neighbor_source(self, source: NeighborSource) -> None:
        """Not passed on: the worker's simulated host hears no LLDP neighbours (not split yet)."""

    # ------------------------------------------------------------------ not split yet

    def _not_here(self, what: str) -> Unavailable:
        return Unavailable(
            f"{what} of {self.device_name} are not available: it is served by worker process {self.worker} "
            "(vrack up --workers), where faults, SEL, sensors and disks are not reachable yet",
            "name",
        )

    def set_bmc_fault(self, fault: BmcFault, active: bool, cause: str) -> None:
        raise self._not_here("BMC faults")

    def reset_bmc(self, kind: Literal["cold", "warm"], cause: str) -> None:
        raise self._not_here("BMC resets")

    def sensor_levels(self, sensor: str) -> SensorLevels:
        raise self._not_here("sensors")

    def force_sensor(self, sensor: str, value: float | None, cause: str) -> None:
        raise self._not_here("sensors")

    def log_power_supply_failure(self, psu: int, failed: bool, cause: str) -> None:
        raise self._not_here("power supply events")

    def sel_entries(self) -> list[dict[str, Any]]:
        raise self._not_here("SEL entries")

    def add_sel_event(self, event: dict[str, Any], cause: str) -> int:
        raise self._not_here("SEL entries")

    def sensor_readings(self) -> list[dict[str, Any]]:
        raise self._not_here("sensor readings")

    def set_link_latency(self, latency: float, jitter: float, rng: random.Random | None, cause: str) -> None:
        raise self._not_here("link faults")

    def set_link_loss(self, loss: float, rng: random.Random | None, cause: str) -> None:
        raise self._not_here("link faults")

    def link_state(self) -> dict[str, float | int]:
        link = self._described.get("link")
        return dict(link) if isinstance(link, dict) else {}

    @property
    def disk_count(self) -> int:
        return 0

    def set_disk_failing(self, disk: int, failing: bool, cause: str) -> None:
        raise self._not_here("disks")
