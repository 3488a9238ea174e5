"""The PDU device: outlets, their power state, reboot timing and attached load.

No sockets and no wall clock: time comes from the injected ``clock``
(``IReactorTime``; ``twisted.internet.task.Clock`` in tests).  The vendor
personality (:mod:`pdu_sim.models`) turns this state into a MIB
(:attr:`Pdu.source`); the rack's power model subscribes with
:meth:`Pdu.add_outlet_listener` and reports node draw with
:meth:`Pdu.set_outlet_load`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from snmp_agent.source import MibSource

from .models import get_model

OutletListener = Callable[[int, bool, str], None]
LoadState = Literal["normal", "high", "overload"]
LoadListener = Callable[[LoadState, str], None]
"""``(new infeed load state, cause)``."""
LOAD_HIGH_FRACTION = 0.8  # the infeed's "load high" alarm at 80 % of its capacity, the vendors' default


class PduError(ValueError):
    """A request the PDU cannot perform (unknown outlet, bad configuration)."""


class Clock(Protocol):
    """The part of ``IReactorTime`` a PDU uses."""

    def seconds(self) -> float: ...

    def callLater(self, delay: float, callable: Callable[..., Any], *args: Any, **kw: Any) -> Any: ...


@dataclass(slots=True)
class Outlet:
    """One outlet.  ``energy_wh`` is integrated from the load over clock time.  Slotted: a rack holds 60,000."""

    number: int
    name: str
    on: bool
    load_watts: float = 0.0
    rebooting: bool = False
    pending_target: bool | None = None
    pending: Any = None
    energy_wh: float = 0.0
    peak_watts: float = 0.0
    since: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    relay_stuck: bool = False  # a fault: commands are accepted but the relay does not move
    relay_delay: float = 0.0  # a fault: the relay moves this many seconds after the command
    relay_moving: Any = None


class Pdu:
    """A switched PDU of a given vendor ``model`` (see :data:`pdu_sim.models.MODELS`).

    ``outlet_names`` overrides the default names (``Outlet_<n>``); ``initial_on``
    (or ``initial_state="on"|"off"``, which wins when given) is the power state
    of every outlet at start.  ``reboot`` = off now, on
    again after ``reboot_delay`` seconds of clock time.  Listeners are called
    as ``fn(outlet, on, cause)`` after every real change of an outlet's power.
    """

    def __init__(
        self,
        model: str,
        *,
        name: str,
        outlets: int,
        clock: Clock,
        outlet_names: Mapping[int, str] | Iterable[str] | None = None,
        reboot_delay: float = 5.0,
        initial_on: bool = True,
        initial_state: str | None = None,
        voltage: float = 230.0,
        frequency: float = 50.0,
        power_factor: float = 0.95,
        options: Mapping[str, Any] | None = None,
        capacity_amps: float = 16.0,
    ) -> None:
        self.personality = get_model(model)
        if not 1 <= outlets <= self.personality.max_outlets:
            raise PduError(f"{name}: model {model} supports 1..{self.personality.max_outlets} outlets")
        if initial_state is not None:
            if initial_state not in ("on", "off"):
                raise PduError(f"{name}: initial_state must be 'on' or 'off', not {initial_state!r}")
            initial_on = initial_state == "on"
        if reboot_delay < 0:
            raise PduError(f"{name}: reboot_delay must not be negative")
        self.model = self.personality.name
        self.name = name
        self.clock = clock
        self.reboot_delay = reboot_delay
        self.voltage = voltage
        self.frequency = frequency
        self.power_factor = power_factor
        self.options: dict[str, Any] = dict(options or {})
        self.started_at = clock.seconds()
        names = _names(outlet_names, outlets, name)
        self.outlets: dict[int, Outlet] = {
            n: Outlet(n, names[n], initial_on, since=self.started_at) for n in range(1, outlets + 1)
        }
        self._listeners: list[OutletListener] = []
        self._source: MibSource | None = None
        if capacity_amps <= 0:
            raise PduError(f"{name}: capacity_amps must be positive")
        self.capacity_amps = capacity_amps
        self.external_amps = 0.0  # current drawn on the infeed by loads outside the rack model (a fault)
        self._load_state: LoadState = "normal"
        self._load_listeners: list[LoadListener] = []

    # -- queries -------------------------------------------------------------
    @property
    def outlet_count(self) -> int:
        return len(self.outlets)

    def outlet(self, n: int) -> Outlet:
        try:
            return self.outlets[n]
        except KeyError:
            raise PduError(f"{self.name}: no outlet {n} (1..{self.outlet_count})") from None

    def outlet_state(self, n: int) -> bool:
        """True when outlet ``n`` delivers power."""
        return self.outlet(n).on

    def is_rebooting(self, n: int) -> bool:
        return self.outlet(n).rebooting

    def pending_switch(self, n: int) -> bool | None:
        """The state a delayed switch will set (True on / False off), or None."""
        return self.outlet(n).pending_target

    def outlet_power(self, n: int) -> float:
        """Real power drawn through outlet ``n`` in watts (0 when off)."""
        outlet = self.outlet(n)
        return outlet.load_watts if outlet.on else 0.0

    def outlet_current(self, n: int) -> float:
        """RMS current through outlet ``n`` in amps."""
        return self.outlet_power(n) / (self.voltage * self.power_factor) if self.voltage else 0.0

    def outlet_energy(self, n: int) -> float:
        """Energy delivered through outlet ``n`` since start, in watt-hours."""
        outlet = self.outlet(n)
        return outlet.energy_wh + self._running_energy(outlet)

    def total_power(self) -> float:
        return sum(self.outlet_power(n) for n in self.outlets)

    def total_current(self) -> float:
        """The infeed's current in amps: every outlet plus any external load."""
        return sum(self.outlet_current(n) for n in self.outlets) + self.external_amps

    @property
    def load_high_amps(self) -> float:
        return self.capacity_amps * LOAD_HIGH_FRACTION

    def load_state(self) -> LoadState:
        """``overload`` above capacity, ``high`` at or above 80 % of it, else ``normal``."""
        current = self.total_current()
        if current > self.capacity_amps:
            return "overload"
        return "high" if current >= self.load_high_amps else "normal"

    def add_load_listener(self, listener: LoadListener) -> None:
        """Call ``listener(state, cause)`` whenever the infeed's load state changes."""
        self._load_listeners.append(listener)

    def set_external_load(self, amps: float, cause: str) -> None:
        """Current drawn on the infeed by something the rack does not model (0: none)."""
        if amps < 0:
            raise PduError(f"{self.name}: external load must not be negative")
        self.external_amps = float(amps)
        self._check_load(cause)

    def _check_load(self, cause: str) -> None:
        state = self.load_state()
        if state != self._load_state:
            self._load_state = state
            for listener in list(self._load_listeners):
                listener(state, cause)

    def total_energy(self) -> float:
        return sum(self.outlet_energy(n) for n in self.outlets)

    def uptime(self) -> float:
        """Seconds since the PDU was created (clock time)."""
        return max(self.clock.seconds() - self.started_at, 0.0)

    # -- control -------------------------------------------------------------
    def set_outlet(self, n: int, on: bool, cause: str) -> None:
        """Switch outlet ``n`` now; cancels a pending reboot or switch.  No-op if already there."""
        outlet = self.outlet(n)
        self._cancel_pending(outlet)
        self._switch(outlet, on, cause)

    def switch_outlet_later(self, n: int, on: bool, delay: float, cause: str) -> None:
        """Switch outlet ``n`` after ``delay`` seconds (pendOn/pendOff meanwhile)."""
        outlet = self.outlet(n)
        self._cancel_pending(outlet)
        outlet.pending_target = on
        outlet.pending = self.clock.callLater(delay, self._finish_switch, outlet, on, cause)

    def reboot_outlet(self, n: int, cause: str) -> None:
        """Off now (if on), on again after ``reboot_delay``; restarts a reboot in progress."""
        outlet = self.outlet(n)
        self._cancel_pending(outlet)
        self._switch(outlet, False, cause)
        outlet.rebooting = True
        outlet.pending = self.clock.callLater(self.reboot_delay, self._finish_reboot, outlet, cause)

    def set_outlet_load(self, n: int, watts: float) -> None:
        """The draw of whatever is plugged into outlet ``n`` while powered (watts)."""
        if watts < 0:
            raise PduError(f"{self.name}: outlet {n}: load must not be negative")
        outlet = self.outlet(n)
        self._settle(outlet)
        outlet.load_watts = float(watts)
        if outlet.on:
            outlet.peak_watts = max(outlet.peak_watts, outlet.load_watts)
        self._check_load("load")

    def set_outlet_name(self, n: int, name: str) -> None:
        self.outlet(n).name = name

    def add_outlet_listener(self, listener: OutletListener) -> None:
        self._listeners.append(listener)

    def remove_outlet_listener(self, listener: OutletListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def source(self) -> MibSource:
        """The MIB this PDU serves, built once by its vendor personality."""
        if self._source is None:
            self._source = self.personality.build(self)
        return self._source

    # -- internals -----------------------------------------------------------
    def _finish_reboot(self, outlet: Outlet, cause: str) -> None:
        outlet.pending = None
        outlet.rebooting = False
        self._switch(outlet, True, cause)

    def _finish_switch(self, outlet: Outlet, on: bool, cause: str) -> None:
        outlet.pending = None
        outlet.pending_target = None
        self._switch(outlet, on, cause)

    def _cancel_pending(self, outlet: Outlet) -> None:
        if outlet.pending is not None and outlet.pending.active():
            outlet.pending.cancel()
        outlet.pending = None
        outlet.pending_target = None
        outlet.rebooting = False

    def set_relay_fault(self, n: int, stuck: bool = False, delay: float = 0.0) -> None:
        """Make outlet ``n``'s relay ignore commands (``stuck``) or move ``delay`` seconds late; defaults clear it."""
        if delay < 0:
            raise PduError(f"{self.name}: outlet {n}: relay delay must not be negative")
        outlet = self.outlet(n)
        outlet.relay_stuck = stuck
        outlet.relay_delay = float(delay)

    def _switch(self, outlet: Outlet, on: bool, cause: str) -> None:
        if outlet.relay_stuck:
            return
        if outlet.relay_delay > 0:  # the latest command wins, as with a real relay's control logic
            if outlet.relay_moving is not None and outlet.relay_moving.active():
                outlet.relay_moving.cancel()
            outlet.relay_moving = self.clock.callLater(outlet.relay_delay, self._relay_moved, outlet, on, cause)
            return
        self._move_relay(outlet, on, cause)

    def _relay_moved(self, outlet: Outlet, on: bool, cause: str) -> None:
        outlet.relay_moving = None
        self._move_relay(outlet, on, f"{cause}, {outlet.relay_delay:g} s late")

    def _move_relay(self, outlet: Outlet, on: bool, cause: str) -> None:
        if outlet.on == on:
            return
        self._settle(outlet)
        outlet.on = on
        if on:
            outlet.peak_watts = max(outlet.peak_watts, outlet.load_watts)
        for listener in list(self._listeners):
            listener(outlet.number, on, cause)
        self._check_load(cause)

    def _running_energy(self, outlet: Outlet) -> float:
        if not outlet.on:
            return 0.0
        return outlet.load_watts * max(self.clock.seconds() - outlet.since, 0.0) / 3600.0

    def _settle(self, outlet: Outlet) -> None:
        outlet.energy_wh += self._running_energy(outlet)
        outlet.since = self.clock.seconds()

    def __repr__(self) -> str:
        on = sum(1 for o in self.outlets.values() if o.on)
        return f"<Pdu {self.name} {self.model} {on}/{self.outlet_count} on>"


def _names(given: Mapping[int, str] | Iterable[str] | None, count: int, pdu: str) -> dict[int, str]:
    names = {n: f"Outlet_{n}" for n in range(1, count + 1)}
    if given is None:
        return names
    items = given.items() if isinstance(given, Mapping) else enumerate(given, 1)
    for n, text in items:
        if n not in names:
            raise PduError(f"{pdu}: outlet name given for outlet {n}, but outlets are 1..{count}")
        names[n] = str(text)
    return names
