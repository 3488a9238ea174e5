"""The coordinator's stand-in for a compute node that a worker process serves.

:class:`RemoteNode` plays :class:`vrack.roles.ComputeNode` for the power model, the control API and the
rack: AC power and chassis control go to the worker that serves the node, and what the rack reads
(host power, draw, ``describe()``, credentials) is the state the worker last sent, which it sends after
every AC change, chassis control and host power change.  The node's journal entries reach the rack's
journal through the worker's channel, not through this object.

Faults, SEL and sensors of a worker-served node are the worker's: commands (BMC faults and resets, forced
sensors, power supply and disk events, link faults) are checked here against the node's BMC configuration,
as the local node checks them, so a bad argument is refused at once with the same error, and then sent to
the worker in order with AC and chassis control; reads (SEL entries, sensor readings) and SEL events, whose
answer only the worker has, return a Deferred that fires with the worker's reply.  A link fault's random
generator travels with it (its state), so a lossy link drops the same packets as in one process.  Cabling
is the coordinator's: its switch ports follow the node's host power here, and what the node's LLDP agent
hears is sent to the worker whenever the power model finds it changed.

A rack of 100,000 nodes holds 100,000 stand-ins, so a stand-in keeps only its reported state: its
``describe()`` is made from the plan at each call until the worker sends one (at a host power change), the
argument checks' BMC configuration is made at the first fault command, and equal BMC user lists are held once.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any, Literal

from twisted.internet.defer import Deferred, fail

from vrack.devices.base import DeviceService
from vrack.errors import DeviceStateConflict, Unavailable
from vrack.plan import NodePlan, RackPlan
from vrack.roles import (
    BmcFault,
    ComputeNode,
    HostPowerListener,
    LinkEnd,
    LiveDescription,
    NeighborSource,
    PowerAction,
    SensorLevels,
)
from vrack.split.remote_checks import NodeChecks

Send = Callable[[dict[str, Any]], None]
Call = Callable[[dict[str, Any]], "Deferred[Any]"]


class RemoteNode(DeviceService, ComputeNode, LiveDescription):
    """A compute node served by worker ``worker``; ``send`` delivers a message to that worker.

    It names its role as a base, as the local devices do: the rack's ``isinstance`` checks against the role
    protocols then hold by inheritance, also after zope.interface has added ``__provides__`` to the protocol
    classes (it does when the rack builds its PDUs and switches, and the protocols' attribute lists grow).
    """

    kind = "compute"

    def __init__(self, plan: NodePlan, worker: int, send: Send, call: Call | None, rack: RackPlan) -> None:
        super().__init__(plan.name, plan.spec.model)
        self.plan = plan
        self.worker = worker
        self._send = send
        self._call = call
        self._rack = rack
        self._node_checks: NodeChecks | None = None  # made at the first fault or record command
        self._neighbors: NeighborSource = _no_neighbors
        self._heard: list[Any] = _NOTHING_HEARD  # the neighbours last sent to the worker
        self._listeners: list[HostPowerListener] = []
        self._draw_listeners: list[Callable[[], None]] = []
        self._ac = False
        self._host = False
        self._draw = 0.0
        self._described: dict[str, Any] | None = None  # the worker's describe(), once it sent one
        self._credentials: dict[str, Any] | tuple[str, int, list[Any]] = {}  # tuple: a BMC's address, port, users
        self._responsive = False

    @property
    def _checks(self) -> NodeChecks:
        if self._node_checks is None:
            self._node_checks = NodeChecks(self.plan, self._rack)
        return self._node_checks

    def _from_plan(self) -> dict[str, Any]:
        """What the plan says of the node (until the worker sends its ``describe()``, at a host power change);
        made at each call, not kept: 100,000 stand-ins would hold 1 KiB each for what the plan has."""
        plan = self.plan
        users = self.credentials().get("bmc", {}).get("users")
        return {
            "name": plan.name,
            "kind": self.kind,
            "model": plan.spec.model,
            "bmc": {
                "address": str(plan.bmc_address),
                "port": plan.bmc_port,
                "users": [user["name"] for user in users] if users is not None else [],
            },
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
            self._credentials = _compact(state["credentials"])
        if "describe" in state:
            self._described = dict(state["describe"])
            self._described["bmc"] = dict(self._described["bmc"])
        described = self._described
        if described is not None:
            self._current(described)
            if "users" in state.get("credentials", {}).get("bmc", {}):
                described["bmc"]["users"] = [user["name"] for user in state["credentials"]["bmc"]["users"]]
        if self._host != was_on:
            for listener in list(self._listeners):
                listener(self._host, cause or str(state.get("cause", "")))
        elif self._draw != drew:
            for draw_listener in list(self._draw_listeners):
                draw_listener()

    def _current(self, described: dict[str, Any]) -> dict[str, Any]:
        """``described`` with the power, AC and BMC answer last reported, and the serving worker."""
        described.update(power=self._host, ac_power=self._ac, worker=self.worker)
        described["bmc"]["responsive"] = self._responsive
        return described

    def describe(self) -> dict[str, Any]:
        """Power, AC and whether the BMC answers as the worker last reported them (after every AC change,
        chassis control and host power change); the rest as of the node's last host power change (from the
        plan before the first), with ``worker``: the index of the process that serves it."""
        if self._described is not None:
            return self._described
        return self._current(self._from_plan())

    def credentials(self) -> dict[str, Any]:
        """The node's credentials as the worker last sent them (its BMC's address, port and users)."""
        kept = self._credentials
        if isinstance(kept, tuple):
            address, port, users = kept
            return {"bmc": {"address": address, "port": port, "users": users}}
        return kept

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

    def control_power(self, action: PowerAction, cause: str) -> Deferred[None]:
        """Chassis control through the node's BMC in the worker; fires once the BMC took it, or fails with
        the BMC's refusal (:class:`DeviceStateConflict`, the same words as in one process).

        Refused here at once when the node has no AC power.
        """
        if not self._ac:
            raise DeviceStateConflict(f"{self.device_name} has no AC power (its PDU outlets are off)", "action")
        return self._ask("control_power", action, cause)

    def describe_now(self) -> Deferred[dict[str, Any]]:
        """The node's ``describe()`` as its worker has it now (sessions, boot progress, counters)."""
        return self._ask("describe").addCallback(self._described_now)

    def _described_now(self, described: dict[str, Any]) -> dict[str, Any]:
        return {**described, "worker": self.worker}

    # ------------------------------------------------------------------ cabling (CabledHost)

    @property
    def nic_count(self) -> int:
        return len(self.plan.nic_macs)

    def nic_end(self, nic: int) -> LinkEnd:
        """What a switch port cabled to NIC ``nic`` sees (the same as a local node's)."""
        return self.plan.nic_end(nic)

    def set_neighbor_source(self, source: NeighborSource) -> None:
        self._neighbors = source

    def neighbors_changed(self) -> None:
        """Send the worker what the node's LLDP agent now hears, when that differs from what it was sent."""
        heard = [[h.nic, dataclasses.asdict(h.remote)] for h in self._neighbors()]
        if heard != self._heard:
            self._heard = heard
            self._send({"t": "neighbors", "node": self.device_name, "heard": heard})

    # ------------------------------------------------------------------ faults, SEL and sensors (in the worker)

    def _op(self, op: str, *args: Any) -> None:
        """Command ``op`` for the node in the worker, after the AC and chassis messages sent before it."""
        self._send({"t": "op", "node": self.device_name, "op": op, "args": list(args)})

    def _ask(self, op: str, *args: Any) -> Deferred[Any]:
        """``op``'s answer from the worker (a Deferred; :class:`Unavailable` if the worker is gone)."""
        if self._call is None:
            return fail(Unavailable(f"{self.device_name}: its worker process {self.worker} is not connected", "name"))
        return self._call({"t": "call", "node": self.device_name, "op": op, "args": list(args)})

    def set_bmc_fault(self, fault: BmcFault, active: bool, cause: str) -> None:
        self._op("set_bmc_fault", fault, active, cause)

    def reset_bmc(self, kind: Literal["cold", "warm"], cause: str) -> None:
        self._op("reset_bmc", kind, cause)

    def sensor_levels(self, sensor: str) -> SensorLevels:
        """The configured levels, with the value this rack last forced (sensors are forced only through it)."""
        return self._checks.sensor_levels(sensor)

    def fan_sensors(self) -> list[str]:
        """The BMC's fan sensors (from its configuration: the ``describe()`` made from the plan has no sensors)."""
        return self._checks.fan_sensors()

    def force_sensor(self, sensor: str, value: float | None, cause: str) -> None:
        self._checks.force(sensor, value)
        self._op("force_sensor", sensor, value, cause)

    def log_power_supply_failure(self, psu: int, failed: bool, cause: str) -> None:
        self._op("log_power_supply_failure", psu, failed, cause)

    def sel_entries(self) -> Deferred[list[dict[str, Any]]]:
        return self._ask("sel_entries")

    def add_sel_event(self, event: dict[str, Any], cause: str) -> Deferred[int]:
        self._checks.sel_event(event)
        return self._ask("add_sel_event", event, cause)

    def sensor_readings(self) -> Deferred[list[dict[str, Any]]]:
        return self._ask("sensor_readings")

    def set_link_latency(self, latency: float, jitter: float, rng: random.Random | None, cause: str) -> None:
        self._op("set_link_latency", latency, jitter, _rng_state(rng), cause)

    def set_link_loss(self, loss: float, rng: random.Random | None, cause: str) -> None:
        self._op("set_link_loss", loss, _rng_state(rng), cause)

    def link_state(self) -> dict[str, float | int]:
        link = self.describe().get("link")
        return dict(link) if isinstance(link, dict) else {}

    @property
    def disk_count(self) -> int:
        return self._checks.disk_count

    def set_disk_failing(self, disk: int, failing: bool, cause: str) -> None:
        self._checks.disk(disk)
        self._op("set_disk_failing", disk, failing, cause)


_NOTHING_HEARD: list[Any] = []  # shared by the stand-ins that were sent nothing yet; never changed in place


_USERS: dict[Any, list[Any]] = {}  # equal BMC user lists, one copy (a rack's nodes mostly share their users)
USERS_KEPT = 4096  # distinct lists shared at most (per-node passwords past that are kept per node, as sent)


def _compact(credentials: dict[str, Any]) -> dict[str, Any] | tuple[str, int, list[Any]]:
    """What a stand-in keeps of ``credentials``: a BMC's ``(address, port, users)`` with the user list shared
    with every stand-in whose list is equal; anything else as sent."""
    bmc = credentials.get("bmc")
    if set(credentials) != {"bmc"} or not isinstance(bmc, dict) or set(bmc) != {"address", "port", "users"}:
        return dict(credentials)
    users, address, port = bmc["users"], bmc["address"], bmc["port"]
    if not (isinstance(users, list) and isinstance(address, str) and isinstance(port, int)):
        return dict(credentials)
    try:
        key = tuple(tuple(user.items()) for user in users)
    except (AttributeError, TypeError):  # not a list of flat user records: kept as sent
        return dict(credentials)
    shared = _USERS.get(key, users)
    if shared is users and len(_USERS) < USERS_KEPT:
        _USERS[key] = users
    return (address, port, shared)


def _no_neighbors() -> tuple[()]:
    """What a node hears before the power model gives it a neighbour source."""
    return ()


def _rng_state(rng: random.Random | None) -> list[Any] | None:
    """``rng``'s state as JSON (the worker's copy draws the same numbers), None for no generator."""
    if rng is None:
        return None
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def rng_from_state(state: list[Any] | None) -> random.Random | None:
    """The generator :func:`_rng_state` described."""
    if state is None:
        return None
    rng = random.Random()
    rng.setstate((state[0], tuple(state[1]), state[2]))
    return rng
