"""The running rack: one MultiService of named device services on one reactor.

``Rack`` builds every device from a :class:`vrack.plan.RackPlan` through the
device factories (:mod:`vrack.devices`), sorts them by the roles they play
(:mod:`vrack.roles`), wires them to the power and cabling model, the fault
board and the journal, and binds their ports when it starts.  Starting is all
or nothing: if any device cannot bind, everything already bound is released
and :class:`RackStartError` lists every failure, each naming the device and
address.

Its methods below the lifecycle are the rack's public operations (what the
control API, the CLI through it, the test kit and scenarios call): they take
plain values, raise :mod:`vrack.errors`, and journal their cause.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, TypeVar, cast

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, DeferredList, inlineCallbacks, maybeDeferred

from vrack.clock import RackClock
from vrack.devices import DeviceService, Factory, RackContext, build_devices
from vrack.devices.base import start_devices
from vrack.elevation import place
from vrack.errors import InvalidArgument, UnknownDevice, WrongKind
from vrack.faults import FaultBoard
from vrack.journal import Journal
from vrack.plan import RackPlan
from vrack.power import PowerModel
from vrack.roles import (
    OUTLET_ACTIONS,
    POWER_ACTIONS,
    Answer,
    ComputeNode,
    LinkFaults,
    NetworkSwitch,
    OutletAction,
    PowerDistributionUnit,
    then,
)
from vrack.scenario import ScenarioBoard
from vrack.shared_listeners import SharedListeners

T = TypeVar("T")

ROLE_KINDS = {ComputeNode: "compute", PowerDistributionUnit: "pdu", NetworkSwitch: "switch"}


class RackStartError(Exception):
    """One or more devices could not start; ``failures`` holds each message."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        text = "the rack could not start:\n" + "\n".join(f"  {f}" for f in failures)
        if any("CAP_NET_BIND_SERVICE" in f or "Permission denied" in f for f in failures):
            text += "\nhint: without root, move the ports in the spec, e.g. `ports: {ipmi: 6230, snmp: 1161}`"
        super().__init__(text)


def _no_progress(phase: str, done: int) -> None:
    """Start-up progress nobody asked for."""


class Rack(MultiService):
    """All devices of one rack, started in spec order and stopped in reverse."""

    def __init__(
        self,
        plan: RackPlan,
        reactor: Any,
        journal: Journal,
        clock: RackClock,
        network: Any | None = None,
        state_path: Path | None = None,
        progress: Callable[[str, int], None] | None = None,
        devices: Factory = build_devices,
    ) -> None:
        """``devices`` builds the devices from the plan (``vrack up --workers`` gives worker-served nodes'
        stand-ins, :mod:`vrack.split`)."""
        super().__init__()
        self._progress = progress or _no_progress
        self.plan = plan
        self.network = network  # a vrack.netns.RackNetwork in netns mode: devices bind inside it
        self.reactor = reactor
        self.journal = journal
        self.clock = clock
        self.setName(plan.spec.rack)
        self.devices: dict[str, DeviceService] = {}
        self.nodes: dict[str, ComputeNode] = {}
        self.pdus: dict[str, PowerDistributionUnit] = {}
        self.switches: dict[str, NetworkSwitch] = {}
        # ports.shared: every BMC binds through one wildcard socket per port (vrack.shared_listeners)
        self.listeners = SharedListeners(reactor) if plan.spec.ports.shared else None
        # with workers: their shared sockets' counters as last reported (vrack.split.pool.WorkerPool)
        self.remote_listeners: Callable[[], list[dict[str, Any]]] | None = None
        context = RackContext(reactor, journal, clock, network, state_path, self.listeners)
        for built, device in enumerate(devices(plan, context), start=1):
            self._progress("built", built)
            self.devices[device.device_name] = device
            device.setServiceParent(self)
            role = _role(device)  # once per class: isinstance against a Protocol walks its members
            if role is ComputeNode:
                self.nodes[device.device_name] = cast(ComputeNode, device)
            elif role is PowerDistributionUnit:
                self.pdus[device.device_name] = cast(PowerDistributionUnit, device)
            elif role is NetworkSwitch:
                self.switches[device.device_name] = cast(NetworkSwitch, device)
        self.power = PowerModel(plan, self.nodes, self.pdus, self.switches, journal)
        self.faults = FaultBoard(self, journal, reactor, plan.spec.identity_seed)
        self.scenarios = ScenarioBoard(self)

    @property
    def rack_name(self) -> str:
        return str(self.name)

    def startService(self) -> None:
        """Bind every device; on any failure release all and raise RackStartError."""
        self.journal.open()
        started, failures = start_devices(
            self.devices.values(), self.network, lambda done: self._progress("bound", done)
        )
        if failures:
            for device in reversed(started):
                device.stopService()
            self.journal.close()
            raise RackStartError(failures)
        self.running = 1
        self.power.apply_initial_state()
        if self.network is not None:  # every device that is up announces itself (gratuitous ARP)
            from vrack.netns_devices import announce

            links = self.network.device_links
            announce(
                self.network, [links[n] for n, d in self.devices.items() if n in links and d.answers_on_the_wire()]
            )
        self.journal.append(self.rack_name, "control", "rack-started", devices=len(self.devices))

    @inlineCallbacks
    def stopService(self) -> Generator[Deferred[Any], Any, None]:
        """Clear faults, stop devices in reverse start order, then close the journal."""
        if not self.running:
            return
        self.running = 0
        self.scenarios.cancel_all("rack stopping")
        self.faults.clear_all("rack stopping")
        self.journal.append(self.rack_name, "control", "rack-stopping")
        stops = [maybeDeferred(d.stopService) for d in reversed(list(self.devices.values()))]
        yield DeferredList(stops, consumeErrors=True)
        self.journal.close()

    # ------------------------------------------------------------------ finding devices

    def device(self, name: str) -> DeviceService:
        """The device called ``name``; :class:`UnknownDevice` (with the valid names) if none is."""
        device = self.devices.get(name)
        if device is None:
            raise UnknownDevice(f"no device named {name!r}", "name", sorted(self.devices))
        return device

    def node(self, name: str) -> ComputeNode:
        return self._of_kind(name, self.nodes, "compute")

    def pdu(self, name: str) -> PowerDistributionUnit:
        return self._of_kind(name, self.pdus, "pdu")

    def switch(self, name: str) -> NetworkSwitch:
        return self._of_kind(name, self.switches, "switch")

    def link_device(self, name: str) -> LinkFaults:
        """The device called ``name`` as a management link that faults can slow down or make lossy."""
        device = self.device(name)
        if not isinstance(device, LinkFaults):
            raise WrongKind(f"{name!r} has no management link", "name", sorted(self.devices))
        return device

    def _of_kind(self, name: str, table: dict[str, T], kind: str) -> T:
        found = table.get(name)
        if found is not None:
            return found
        device = self.device(name)
        raise WrongKind(f"{name!r} is a {device.kind}, not a {kind}", "name", sorted(table))

    # ------------------------------------------------------------------ operations

    def power_node(self, name: str, action: str, cause: str) -> Answer[ComputeNode]:
        """Chassis control of node ``name`` through its BMC (``on``, ``off``, ``cycle``, ``reset``, ``soft``);
        the node once its BMC took the command (later, for a node a worker process serves)."""
        node = self.node(name)
        return then(node.control_power(_choice(action, POWER_ACTIONS, "action"), cause), lambda _: node)

    def switch_outlet(self, pdu_name: str, outlet: int, action: str, cause: str) -> PowerDistributionUnit:
        """Switch outlet ``outlet`` of ``pdu_name`` (``on``, ``off``, ``reboot``)."""
        pdu = self.pdu(pdu_name)
        checked: OutletAction = _choice(action, OUTLET_ACTIONS, "action")
        pdu.control_outlet(_in_range(outlet, pdu.outlet_count, "outlet"), checked, cause)
        return pdu

    def set_cable(self, switch_name: str, port: int, plugged: bool, cause: str) -> NetworkSwitch:
        """Plug or pull the cable at ``switch_name`` port ``port``."""
        switch = self.switch(switch_name)
        self.power.set_cable(switch_name, _in_range(port, switch.port_count, "port"), plugged, cause)
        return switch

    def layout(self) -> dict[str, Any]:
        """Where devices hang (:mod:`vrack.elevation`), which outlet feeds which supply, which cable is plugged."""
        plan = self.plan
        placements = place(plan.spec)
        return {
            "units": plan.spec.units,
            "cabinets": max((p.cabinet for p in placements), default=1),
            "devices": [p.as_dict() for p in placements],
            "feeds": [{"pdu": f.pdu, "outlet": f.outlet, "node": f.node, "psu": f.psu} for f in plan.feeds],
            "cables": [
                {"node": c.node, "nic": c.nic, "switch": c.switch, "port": c.port, "plugged": self.power.plugged[c]}
                for c in plan.cables
            ],
        }

    def info(self) -> dict[str, Any]:
        """Rack name, seed, mode, rack time, device counts and the journal's last sequence number; with
        ``ports.shared`` the shared sockets and what they dropped for addresses no BMC here has."""
        kinds: dict[str, int] = {}
        for device in self.devices.values():
            kinds[device.kind] = kinds.get(device.kind, 0) + 1
        spec = self.plan.spec
        return {
            "rack": spec.rack,
            "seed": spec.identity_seed,
            "mode": spec.mode,
            "time": self.clock.isoformat(),
            "devices": kinds,
            "journal_last_seq": self.journal.last_seq,
            "run": self.journal.run_id,
        } | ({"listeners": self._listener_info()} if self.listeners is not None else {})

    def _listener_info(self) -> dict[str, Any]:
        assert self.listeners is not None
        sockets = self.listeners.stats()["sockets"] + (self.remote_listeners() if self.remote_listeners else [])
        return {"sockets": sockets, "dropped": sum(int(sock["dropped"]) for sock in sockets)}


_ROLES: dict[type, type | None] = {}


def _role(device: object) -> type | None:
    """Which of the rack's roles ``device`` plays (None: none), checked on the first device of each class: an
    isinstance check against a runtime-checkable Protocol walks the protocol's members on every call (about
    0.15 ms here: 15 s of start-up for 100,000 nodes), and a class's devices all have the same members."""
    kind = type(device)
    if kind not in _ROLES:
        roles = (ComputeNode, PowerDistributionUnit, NetworkSwitch)
        _ROLES[kind] = next((role for role in roles if isinstance(device, role)), None)
    return _ROLES[kind]


def _choice(value: str, valid: tuple[T, ...], parameter: str) -> T:
    for option in valid:
        if value == option:
            return option
    raise InvalidArgument(f"{parameter} must be one of {', '.join(map(str, valid))} (got {value!r})", parameter, valid)


def _in_range(number: int, count: int, parameter: str) -> int:
    if not 1 <= number <= count:
        raise InvalidArgument(f"{parameter} must be 1..{count} (got {number})", parameter, [f"1..{count}"])
    return number
