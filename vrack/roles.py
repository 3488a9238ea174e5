"""What a device offers the rack: typed roles.

A device service declares the roles it plays by inheriting them
(``class PduDevice(SnmpDeviceService, OutletBank)``).  The rack sorts its
devices by role once, and the power model, the control API, faults, the test
kit and the web view call those declared methods only: never ``getattr`` or
``hasattr`` on a device.

========================  ===================================================
role                      who plays it, and what it gives the rack
========================  ===================================================
:class:`RackDevice`       every device: name, kind, model, ``describe()``
:class:`PoweredHost`      compute nodes: AC in from feeds, host power, draw
:class:`CabledHost`       compute nodes: what each NIC shows a switch port
:class:`ManagedHost`      compute nodes: chassis control through the BMC
:class:`OutletBank`       PDUs: outlets that feed power supplies
:class:`PortBank`         switches: ports whose links follow the cabling
:class:`BmcFaults`        compute nodes: a BMC that hangs, answers busy, resets
:class:`BmcRecords`       compute nodes: SEL entries and sensor readings
:class:`RelayFaults`      PDUs: outlet relays that stick or switch late
:class:`LinkFaults`       every device: a management link that is slow or lossy
:class:`DiskFaults`       compute nodes: drives that go bad
:class:`InfeedLoad`       PDUs: an infeed that can be overloaded
========================  ===================================================
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, TypeVar, runtime_checkable

from twisted.internet.defer import Deferred

PowerAction = Literal["on", "off", "cycle", "reset", "soft"]
POWER_ACTIONS: tuple[PowerAction, ...] = ("on", "off", "cycle", "reset", "soft")
OutletAction = Literal["on", "off", "reboot"]
OUTLET_ACTIONS: tuple[OutletAction, ...] = ("on", "off", "reboot")

_T = TypeVar("_T")
_U = TypeVar("_U")
Answer: TypeAlias = "_T | Deferred[_T]"
"""A value a node answers at once (in this process) or later (a node a worker process serves)."""


def then(answer: Answer[_T], use: Callable[[_T], _U]) -> Answer[_U]:
    """``use(answer)``, also when the answer comes later (a Deferred: ``use`` runs then, its result is the
    Deferred's)."""
    if isinstance(answer, Deferred):
        return answer.addCallback(use)
    return use(answer)


HostPowerListener = Callable[[bool, str], None]
"""``(host powered, cause)``."""

OutletListener = Callable[[str, int, bool, str], None]
"""``(pdu name, outlet, on, cause)``."""


@dataclass(frozen=True)
class LinkEnd:
    """One end of a cable as the other end learns it (LLDP, FDB): the end's MAC and identity."""

    mac: str
    chassis_name: str
    port_id: str
    port_descr: str = ""
    system_descr: str = ""
    mgmt_ip: str | None = None


@dataclass(frozen=True)
class HeardNeighbor:
    """An LLDP neighbour a node hears on one of its NICs."""

    nic: int
    remote: LinkEnd


NeighborSource = Callable[[], tuple[HeardNeighbor, ...]]


@runtime_checkable
class RackDevice(Protocol):
    """Every device of a rack."""

    kind: str

    @property
    def device_name(self) -> str: ...

    @property
    def model(self) -> str: ...

    def describe(self) -> dict[str, Any]:
        """JSON-ready live state (what status, the API and the test kit report); never a secret."""
        ...

    def credentials(self) -> dict[str, Any]:
        """The device's live credentials with their secrets, for the rack's owner only (``vrack credentials``)."""
        ...


@runtime_checkable
class PoweredHost(Protocol):
    """A host whose power supplies are fed by PDU outlets."""

    @property
    def host_powered(self) -> bool:
        """True while the host runs (AC present and chassis power on)."""
        ...

    def set_ac(self, on: bool, cause: str) -> None:
        """AC power reached (or left) the host's supplies."""
        ...

    def power_draw(self) -> float:
        """Watts drawn now (0 without AC; standby when the host is off)."""
        ...

    def add_host_power_listener(self, listener: HostPowerListener) -> None: ...

    def add_draw_listener(self, listener: Callable[[], None]) -> None:
        """``listener()`` when the draw changes while host power does not (a power limit throttles the host)."""
        ...


@runtime_checkable
class CabledHost(Protocol):
    """A host with NICs that can be cabled to switch ports."""

    @property
    def nic_count(self) -> int: ...

    def nic_end(self, nic: int) -> LinkEnd:
        """What a switch port cabled to NIC ``nic`` learns of it."""
        ...

    def set_neighbor_source(self, source: NeighborSource) -> None:
        """Where the host's LLDP agent learns what it hears (the rack's cabling)."""
        ...

    def neighbors_changed(self) -> None:
        """What the neighbour source answers may have changed (a cable, a port or the host's power did)."""
        ...


@runtime_checkable
class ManagedHost(Protocol):
    """A host with a BMC that the rack (API, CLI, test kit) drives as ipmitool would."""

    def control_power(self, action: PowerAction, cause: str) -> Answer[None]:
        """Chassis control through the BMC's own handlers; :class:`~vrack.errors.DeviceStateConflict` when the
        BMC would refuse (no AC power; a reset or cycle while the host is off); a Deferred for a node a worker
        process serves, failing with that error."""
        ...


@runtime_checkable
class LiveDescription(Protocol):
    """A device whose ``describe()`` is a snapshot and that can be asked for its state now (a node that a
    worker process serves)."""

    def describe_now(self) -> Deferred[dict[str, Any]]: ...


@runtime_checkable
class OutletBank(Protocol):
    """A PDU's switched outlets."""

    @property
    def outlet_count(self) -> int: ...

    def outlet_on(self, outlet: int) -> bool: ...

    def set_outlet_load(self, outlet: int, watts: float) -> None: ...

    def add_outlet_listener(self, listener: OutletListener) -> None: ...

    def control_outlet(self, outlet: int, action: OutletAction, cause: str) -> None:
        """Switch an outlet as the PDU's own control would (and as SNMP SET does)."""
        ...


@runtime_checkable
class PortBank(Protocol):
    """A switch's ports."""

    @property
    def port_count(self) -> int: ...

    def port_end(self, port: int) -> LinkEnd:
        """What the switch advertises on ``port`` (its LLDP speaker)."""
        ...

    def port_oper_up(self, port: int) -> bool: ...

    def set_link(self, port: int, up: bool, peer: LinkEnd | None, cause: str) -> None:
        """Link state from the cabling model (``peer`` = the cabled NIC while up)."""
        ...


BmcFault = Literal["hang", "busy", "sessions-full"]


@dataclass(frozen=True)
class SensorLevels:
    """A threshold sensor's normal reading and its thresholds (``upper_critical`` ... by name)."""

    name: str
    nominal: float
    current: float | None
    thresholds: dict[str, float]


@runtime_checkable
class BmcFaults(Protocol):
    """A BMC that can misbehave on purpose (faults)."""

    def set_bmc_fault(self, fault: BmcFault, active: bool, cause: str) -> None:
        """``hang``: silent, as hung firmware; ``busy``: every command answers 0xC0 (node busy);
        ``sessions-full``: every session slot taken, new logins refused (insufficient resources)."""
        ...

    def reset_bmc(self, kind: Literal["cold", "warm"], cause: str) -> None:
        """Restart the BMC as ``mc reset`` does: silent for its reset time, sessions lost."""
        ...

    def sensor_levels(self, sensor: str) -> SensorLevels:
        """Levels of threshold sensor ``sensor``; :class:`~vrack.errors.InvalidArgument` naming the valid ones."""
        ...

    def force_sensor(self, sensor: str, value: float | None, cause: str) -> None:
        """Force a sensor's reading while the host runs (``None``: back to normal); the BMC logs the thresholds
        it crosses in its SEL."""
        ...

    def log_power_supply_failure(self, psu: int, failed: bool, cause: str) -> None:
        """The BMC logs power supply ``psu`` failing (or recovering) in its SEL."""
        ...


@runtime_checkable
class BmcRecords(Protocol):
    """What a node's BMC has recorded and measures: SEL entries and sensor readings."""

    def sel_entries(self) -> Answer[list[dict[str, Any]]]:
        """The SEL, oldest first, system event records decoded."""
        ...

    def add_sel_event(self, event: dict[str, Any], cause: str) -> Answer[int]:
        """Log a system event as the BMC itself would (``{sensor_type, sensor_number, offset, ...}``); its record id."""
        ...

    def sensor_readings(self) -> Answer[list[dict[str, Any]]]:
        """Every sensor's reading now, discrete ones included."""
        ...


@runtime_checkable
class RelayFaults(Protocol):
    """PDU outlets whose relays can misbehave on purpose (faults)."""

    def set_relay_fault(self, outlet: int, stuck: bool, delay: float, cause: str) -> None:
        """``stuck``: commands are accepted but the outlet does not switch; ``delay``: it switches late."""
        ...


@runtime_checkable
class InfeedLoad(Protocol):
    """A PDU's infeed: its rating, and loads outside the rack model that can overload it (faults)."""

    @property
    def capacity_amps(self) -> float: ...

    @property
    def infeed_amps(self) -> float:
        """The infeed's current now: every outlet's load plus any external load."""
        ...

    def set_external_load(self, amps: float, cause: str) -> None:
        """Current drawn on the infeed by something the rack does not model; the PDU raises its load alarm
        (status and trap) as the total crosses 80 % and 100 % of capacity."""
        ...


@runtime_checkable
class LinkFaults(Protocol):
    """A device on the management network whose link can misbehave on purpose (faults)."""

    def set_link_latency(self, latency: float, jitter: float, rng: random.Random | None, cause: str) -> None:
        """Answer each request ``latency`` ± ``jitter`` seconds late, the jitter drawn from ``rng``."""
        ...

    def set_link_loss(self, loss: float, rng: random.Random | None, cause: str) -> None:
        """Drop each request with probability ``loss``, drawn from ``rng``."""
        ...

    def link_state(self) -> dict[str, float | int]:
        """The link's conditions and how many requests they delayed and dropped."""
        ...


@runtime_checkable
class DiskFaults(Protocol):
    """A host whose drives can go bad on purpose (faults)."""

    @property
    def disk_count(self) -> int:
        """Drives of the node's hardware personality (numbered from 0, as ``hardware.disks`` lists them)."""
        ...

    def set_disk_failing(self, disk: int, failing: bool, cause: str) -> None:
        """Drive ``disk`` goes bad (SMART and the RAID tool say so; the BMC logs a predictive failure) or
        recovers."""
        ...


@runtime_checkable
class ComputeNode(
    RackDevice, PoweredHost, CabledHost, ManagedHost, BmcFaults, BmcRecords, LinkFaults, DiskFaults, Protocol
):
    """A compute node as the rack sees it."""


@runtime_checkable
class PowerDistributionUnit(RackDevice, OutletBank, RelayFaults, InfeedLoad, LinkFaults, Protocol):
    """A PDU as the rack sees it."""


@runtime_checkable
class NetworkSwitch(RackDevice, PortBank, LinkFaults, Protocol):
    """A switch as the rack sees it."""
