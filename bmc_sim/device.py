"""The BMC device: state plus command dispatch, no sockets.

The session layer hands :meth:`Bmc.handle` one decoded request at a time and
sends back whatever it returns; the rack's power model calls
:meth:`Bmc.set_ac_power` and listens to host power and boot-device changes.
All timing (power cycle, soft off, identify, watchdog, BMC boot after AC
loss, ``mc reset``) runs on the injected ``Clock``.
"""

from __future__ import annotations

from collections.abc import Callable

from twisted.logger import Logger

from bmc_sim.chassis import BootListener, Chassis, PowerListener
from bmc_sim.commands import registry as _registry
from bmc_sim.commands.channel import Channels
from bmc_sim.commands.transport import LanParameters
from bmc_sim.commands.watchdog import Watchdog
from bmc_sim.config import BmcConfig, SensorKind
from bmc_sim.console import HostConsole
from bmc_sim.dcmi import (
    ACTION_HARD_OFF,
    DEFAULT_HOST_WATTS,
    DEFAULT_STANDBY_WATTS,
    DcmiIdentity,
    Meter,
    PowerLimit,
    PowerStatistics,
)
from bmc_sim.device_roles import Restartable, SendsAlerts, SerialPort
from bmc_sim.errors import (
    InsufficientPrivilege,
    InvalidCommand,
    IpmiError,
    NodeBusy,
    RequestDataLengthInvalid,
    completion_code_for,
)
from bmc_sim.fru import FruDevice, fru_image
from bmc_sim.message import IpmiRequest, IpmiResponse, RequestContext
from bmc_sim.pef import PefConfiguration
from bmc_sim.pet import PefAlerts
from bmc_sim.sdr import SdrRepository, records_for
from bmc_sim.sel import DEFAULT_EPOCH, Clock, DelayedCall, Sel, SelEvent
from bmc_sim.sensors import (
    KIND_CODES,
    THRESHOLD_EVENT_OFFSET,
    THRESHOLD_READING,
    SensorSet,
    build_sensors,
    threshold_events,
)
from bmc_sim.sol_config import SolConfig
from bmc_sim.users import UserStore

DEFAULT_GLOBAL_ENABLES = 0x0C  # SEL logging and event message buffer on

ResetListener = Callable[[str], None]
ReadyListener = Callable[[], None]

_log = Logger()
COMMANDS = _registry.COMMANDS
_response = tuple.__new__  # IpmiResponse built from its fields without the keyword-handling constructor


class Bmc(SerialPort, SendsAlerts, Restartable):
    """One simulated BMC: chassis, SEL, SDR, FRU, sensors, users, LAN settings.

    ``epoch`` is the SEL time (seconds since 1970) at construction; SEL time
    then advances with ``clock``, so the log is the same on every run.
    """

    # Defaults an instance overrides when it first sets them.  Kept out of ``__init__`` so that a BMC has fewer
    # than 30 attributes of its own: above that CPython stops sharing the attribute names between instances
    # and every BMC's ``__dict__`` grows from about 280 to 1,584 bytes.  The parts made at their first use
    # (sensors, SDR, FRU, LAN parameters, PEF) start as None here.
    _sensors: SensorSet | None = None
    _sdr: SdrRepository | None = None
    _fru: FruDevice | None = None
    _lan: LanParameters | None = None
    _pef: PefConfiguration | None = None
    global_enables = DEFAULT_GLOBAL_ENABLES
    _busy_reason = ""
    _was_on_at_ac_loss = False

    def __init__(self, config: BmcConfig, clock: Clock, *, epoch: float = DEFAULT_EPOCH) -> None:
        self.config = config
        self.clock = clock
        self.users = UserStore.from_config(config.users, config.channel, config.max_users)
        self.sel = Sel(clock, config.sel_capacity, epoch)
        self.chassis = Chassis(
            clock, self.sel, restore_policy=config.power_restore_policy, power_on=config.initial_power_on
        )
        self._sdr_added = self.sel.now()  # the repository's addition time: when the BMC came up
        self.sol_config = SolConfig(config.channel)
        self.alerts = PefAlerts(self)  # PET traps for logged events; the transport gives it a socket
        self.sel.listeners.append(self.alerts.event_logged)
        # What the BMC's power meter reads (watts); the rack's power model replaces this default.
        self.power_meter: Meter = self._default_power
        # The host's serial port behind SOL (``bmc_sim.console.HostConsole``); None: no serial port, and
        # SOL activation answers "payload type disabled".  Whoever runs the host sets it.
        self.console: HostConsole | None = None
        self._session_count: Callable[[], int] = lambda: 0
        self.channels = Channels(config.channel, lambda: self._session_count())
        self.watchdog = Watchdog(clock, self.chassis, self.sel)
        self.ac_on = True
        self.hung = False  # firmware hang (a fault): silent until cleared, like a BMC that needs a reset
        self.answers_busy = False  # (a fault) every command answers 0xC0 "node busy"
        self._busy_until: DelayedCall | None = None
        self._reset_listeners: list[ResetListener] = []
        self._ready_listeners: list[ReadyListener] = []
        # DCMI power limiting throttles what the meter reads; the statistics read the throttled draw
        self.power_limit = PowerLimit(clock, lambda: self.power_meter(), self._power_limit_exceeded)
        self.power_statistics = PowerStatistics(clock, self.power_limit.reading)
        self.dcmi_identity = DcmiIdentity(config.fru.product_asset_tag, config.name)
        self.chassis.add_power_listener(self._host_power_changed)

    @property
    def sensors(self) -> SensorSet:
        """The sensors, made from the configuration at their first use (their readings follow from the
        configuration, the power state and faults set on them, never from when they were made)."""
        if self._sensors is None:
            self._sensors = build_sensors(self.config.sensors, lambda: self.chassis.power_on)
        return self._sensors

    @property
    def fru(self) -> FruDevice:
        """FRU device 0, its image encoded from the configuration at its first read."""
        if self._fru is None:
            self._fru = FruDevice(fru_image(self.config.fru))
        return self._fru

    @property
    def lan(self) -> LanParameters:
        """The LAN configuration parameters, at their defaults from the configuration until first used."""
        if self._lan is None:
            self._lan = LanParameters(self.config)
        return self._lan

    @property
    def pef(self) -> PefConfiguration:
        """The PEF configuration, made with its defaults at its first use (most BMCs of a big rack never log
        an event that PEF would look at)."""
        if self._pef is None:
            self._pef = PefConfiguration()
        return self._pef

    @property
    def sdr(self) -> SdrRepository:
        """The sensor data records, encoded at their first use (a rack of 100,000 BMCs encodes those clients
        read); they follow from the configuration alone, so the bytes do not depend on when."""
        if self._sdr is None:
            self._sdr = SdrRepository(records_for(self.sensors), self._sdr_added)
        return self._sdr

    # -- what the session layer calls ---------------------------------------
    @property
    def ac_powered(self) -> bool:
        """True while mains power reaches the BMC (see :meth:`set_ac_power`)."""
        return self.ac_on

    @property
    def responsive(self) -> bool:
        """False while AC is off, while the BMC boots after AC returns, and
        during ``mc_reset_time`` after a cold or warm reset, and while :attr:`hung`."""
        return self.ac_on and self._busy_until is None and not self.hung

    def state(self) -> tuple[str, float | None]:
        """What a person at the rack sees of the BMC, and for how many more seconds (if a timer ends it).

        ``dark`` (no AC), ``booting`` (after AC returned), ``resetting`` (after mc reset), ``hung`` (a fault),
        ``busy`` (a fault: answers 0xC0) or ``answering``.
        """
        if not self.ac_on:
            return "dark", None
        if self._busy_until is not None:
            left = max(0.0, self._busy_until.getTime() - self.clock.seconds())
            return ("booting" if self._busy_reason == "booting" else "resetting"), left
        if self.hung:
            return "hung", None
        return ("busy" if self.answers_busy else "answering"), None

    def handle(self, request: IpmiRequest, ctx: RequestContext) -> IpmiResponse:
        """Dispatch one request; never raises.

        Unknown command 0xC1, privilege below the command's 0xD4 (unless the
        request came in band), wrong length 0xC7, typed errors mapped by
        :func:`bmc_sim.errors.completion_code_for`, anything else 0xFF.  A
        BMC that is not :attr:`responsive` answers 0xC0; callers should stay
        silent instead.
        """
        try:
            return _response(IpmiResponse, (0x00, self._dispatch(request, ctx)))
        except IpmiError as exc:
            return IpmiResponse(completion_code_for(exc), exc.data)
        except Exception:
            _log.failure("handler for {name} failed", name=self.command_name(request.netfn, request.cmd))
            return IpmiResponse(0xFF)

    def _dispatch(self, request: IpmiRequest, ctx: RequestContext) -> bytes:
        if not self.ac_on or self._busy_until is not None or self.hung:  # not self.responsive, once per request
            raise NodeBusy(self._busy_reason or "BMC is not powered")
        if self.answers_busy:
            raise NodeBusy("node busy (fault)")
        netfn, cmd, data, _lun = request
        spec = COMMANDS.get((netfn, cmd))
        if spec is None:
            raise InvalidCommand(f"netfn {netfn:#04x} cmd {cmd:#04x}")
        if not ctx.in_band and ctx.privilege < spec.privilege:
            raise InsufficientPrivilege(f"{spec.name} needs {spec.privilege.name}")
        length = len(data)
        if length < spec.min_len or (spec.max_len is not None and length > spec.max_len):  # spec.length_ok
            raise RequestDataLengthInvalid(f"{spec.name}: {length} bytes")
        return spec.handler(self, data, ctx)

    def command_name(self, netfn: int, cmd: int) -> str:
        """``"chassis.get_status"``; unknown commands ``"netfn0x2e.cmd0x01"``."""
        return _registry.command_name(netfn, cmd)

    def set_sensor_reading(self, name: str, value: float | None) -> list[int]:
        """Force sensor ``name``'s reading while the host runs (``None`` returns it to normal).

        Each threshold the new reading crosses or leaves is logged in the SEL as the BMC would (threshold
        event, event data 2/3 = trigger reading and threshold); returns the new SEL record ids.  Raises
        ``KeyError`` naming the valid sensor names.
        """
        sensor = next((s for s in self.sensors if s.name == name), None)
        if sensor is None or not sensor.is_threshold:
            valid = ", ".join(s.name for s in self.sensors if s.is_threshold)
            raise KeyError(f"no threshold sensor named {name!r} (valid: {valid})")
        host_on = self.chassis.power_on
        before = sensor.read(host_on)
        sensor.override = value
        after = sensor.read(host_on)
        records = []
        for event in threshold_events(sensor, before, after):
            record = self.sel.log(
                SelEvent(
                    sensor.sensor_type,
                    sensor.number,
                    event.offset,
                    asserted=event.asserted,
                    event_type=THRESHOLD_READING,
                    data2=event.reading_raw,
                    data3=event.threshold_raw,
                    data_flags=0x50,  # data 2 = trigger reading, data 3 = trigger threshold
                )
            )
            if record is not None:
                records.append(record)
        return records

    def log_event(self, sensor_type: int, sensor_number: int, offset: int, asserted: bool = True) -> int | None:
        """Log a sensor-specific event the BMC detected (e.g. a power supply failure, type 0x08 offset 1)."""
        return self.sel.log(SelEvent(sensor_type, sensor_number, offset, asserted=asserted))

    def set_session_counter(self, fn: Callable[[], int]) -> None:
        """Tell the BMC how to count active sessions (Get Channel Info)."""
        self._session_count = fn

    def add_reset_listener(self, fn: ResetListener) -> None:
        """``fn(kind)`` when the BMC restarts: ``"cold"``, ``"warm"`` or ``"ac"``.

        The session layer drops its sessions then, as a real BMC forgets them.
        """
        self._reset_listeners.append(fn)

    # -- what the rack calls ------------------------------------------------
    def set_ac_power(self, on: bool) -> None:
        """Mains power to the BMC (and the host) switched by the rack's power model.

        Off: the host loses power at once and the BMC goes silent.  On: the
        BMC answers again after ``config.boot_time``, logs "AC lost" and
        applies the power restore policy.
        """
        if on == self.ac_on:
            return
        self.ac_on = on
        self._cancel_busy()
        if not on:
            self.watchdog.stop()
            self._was_on_at_ac_loss = self.chassis.ac_lost()
            self.chassis.cancel_timers()
            self._notify_reset("ac")
            return
        self._busy_reason = "booting"
        self._busy_until = self.clock.callLater(self.config.boot_time, self._boot_done)

    def add_power_listener(self, fn: PowerListener) -> None:
        """``fn(on, cause)`` on every host power change (``fn(True, "reset")`` on reset)."""
        self.chassis.add_power_listener(fn)

    def add_boot_listener(self, fn: BootListener) -> None:
        """``fn(device, persistent)`` when a boot device override is set."""
        self.chassis.add_boot_listener(fn)

    # -- internals ----------------------------------------------------------
    def mc_reset(self, kind: str) -> None:
        """Cold or warm reset: silent for ``config.mc_reset_time``, volatile state lost."""
        self.watchdog.stop()
        self.chassis.set_identify(0, False)
        self._cancel_busy()
        self._busy_reason = f"{kind} reset"
        self._busy_until = self.clock.callLater(self.config.mc_reset_time, self._reset_done)
        self._notify_reset(kind)

    def _reset_done(self) -> None:
        self._busy_until = None
        self._busy_reason = ""
        self._notify_ready()

    def add_ready_listener(self, fn: ReadyListener) -> None:
        """``fn()`` when the BMC answers again: booted after AC returned, or up after ``mc reset``."""
        self._ready_listeners.append(fn)

    def _notify_ready(self) -> None:
        for fn in list(self._ready_listeners):
            try:
                fn()
            except Exception:
                _log.failure("ready listener failed")

    def _default_power(self) -> float:
        if not self.ac_on:
            return 0.0
        return DEFAULT_HOST_WATTS if self.chassis.power_on else DEFAULT_STANDBY_WATTS

    def _boot_done(self) -> None:
        self._busy_until = None
        self.power_statistics.restart()
        self._busy_reason = ""
        self.chassis.ac_restored(self._was_on_at_ac_loss)
        self._notify_ready()

    def _power_limit_exceeded(self, action: int, watts: float, limit: int) -> None:
        """DCMI's exception action: an "upper critical going high" event on the power sensor (reading and
        limit in event data 2 and 3), then a hard power off if the action asks for it."""
        sensor_type, unit = KIND_CODES[SensorKind.POWER]
        sensor = next((s for s in self.sensors if s.sensor_type == sensor_type and s.unit == unit), None)
        if sensor is not None and sensor.linear is not None:
            self.sel.log(
                SelEvent(
                    sensor.sensor_type,
                    sensor.number,
                    THRESHOLD_EVENT_OFFSET["upper_critical"] + 1,
                    event_type=THRESHOLD_READING,
                    data2=sensor.linear.to_raw(watts),
                    data3=sensor.linear.to_raw(limit),
                    data_flags=0x50,
                )
            )
        if action == ACTION_HARD_OFF:
            self.chassis.power_down("power-limit")

    def _cancel_busy(self) -> None:
        if self._busy_until is not None and self._busy_until.active():
            self._busy_until.cancel()
        self._busy_until = None

    def _notify_reset(self, kind: str) -> None:
        for fn in list(self._reset_listeners):
            try:
                fn(kind)
            except Exception:
                _log.failure("reset listener failed")

    def _host_power_changed(self, on: bool, cause: str) -> None:
        self.power_statistics.sample()
        self.power_limit.check()
        # the watchdog stops whenever the host powers down or is reset (IPMI 2.0 section 27.7)
        if (not on or cause == "reset") and cause != "watchdog":
            self.watchdog.stop()
