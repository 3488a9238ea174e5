"""Chassis state: host power, restore policy, identify, boot options, POH.

Time comes from an injected ``Clock``: a power cycle powers the host
back on :data:`CYCLE_DELAY` seconds after it went off, a soft shutdown
(ACPI) takes :data:`SOFT_OFF_DELAY` seconds, a temporary identify ends after
its interval, and boot flags set without "no-timeout" lose their valid bit
after 60 s unless a chassis control command arrives (IPMI 2.0 section 28.12).

Every host power transition is logged to the SEL (Power Unit sensor) and
reported to power listeners as ``fn(on, cause)``; ``fn(True, "reset")``
means a hard reset of a host that stays powered.
"""

from __future__ import annotations

from collections.abc import Callable

from twisted.logger import Logger

from bmc_sim.boot_options import BOOT_PARAM_LENGTHS, NO_TIMEOUT_BIT, BootOptions, BootSelection
from bmc_sim.errors import (
    InvalidDataField,
    NotSupportedInPresentState,
    ParameterNotSupported,
    RequestDataLengthInvalid,
)
from bmc_sim.sel import Clock, DelayedCall, Sel, SelEvent
from bmc_sim.sensors import (
    POWER_UNIT_SENSOR,
    SENSOR_TYPE_POWER_UNIT,
    SENSOR_TYPE_SYSTEM_RESTART,
    SYSTEM_RESTART_SENSOR,
)

CYCLE_DELAY = 1.0
SOFT_OFF_DELAY = 3.0
BOOT_FLAG_TIMEOUT = 60.0
DEFAULT_IDENTIFY = 15

POLICY_CODES = {"always-off": 0, "previous": 1, "always-on": 2}
POLICY_NAMES = {code: name for name, code in POLICY_CODES.items()}
IDENTIFY_CODES = {"off": 0, "temporary": 1, "on": 2}  # Get Chassis Status byte 3, bits 5:4

# restart causes (Get System Restart Cause)
CAUSE_UNKNOWN = 0x0
CAUSE_CHASSIS_CONTROL = 0x1
CAUSE_WATCHDOG = 0x4
CAUSE_ALWAYS_RESTORE = 0x6
CAUSE_RESTORE_PREVIOUS = 0x7
CAUSE_SOFT_RESET = 0xA

# Get Chassis Status byte 2, last power event
EVENT_AC_FAILED = 0x01
EVENT_IPMI_POWER_ON = 0x10

# power unit sensor-specific offsets
OFFSET_POWER_OFF = 0x00
OFFSET_POWER_CYCLE = 0x01
OFFSET_AC_LOST = 0x04

PowerListener = Callable[[bool, str], None]
BootListener = Callable[[str, bool], None]

_log = Logger()


class Chassis:
    """Host power and chassis state of one node, driven by a clock."""

    _boot: BootOptions | None = None  # the boot options until first used (:attr:`boot`)

    def __init__(self, clock: Clock, sel: Sel, *, restore_policy: str, power_on: bool) -> None:
        if restore_policy not in POLICY_CODES:
            raise ValueError(f"restore policy {restore_policy!r}: use one of {sorted(POLICY_CODES)}")
        self._clock = clock
        self._sel = sel
        self.power_on = power_on
        self.restore_policy = restore_policy
        self.last_power_event = 0
        self.restart_cause = CAUSE_UNKNOWN
        self.identify = "off"  # off | temporary | on
        self.current_boot: BootSelection | None = None
        self._power_listeners: list[PowerListener] = []
        self._boot_listeners: list[BootListener] = []
        self._pending_power: DelayedCall | None = None
        self._identify_timer: DelayedCall | None = None
        self._boot_timer: DelayedCall | None = None
        self._poh_seconds = 0.0
        self._on_since: float | None = clock.seconds() if power_on else None
        # Whether the host's OS takes an ACPI request ("shutdown" for soft off, "restart" for a graceful restart);
        # a composer that models the host sets it.  The default is a host whose OS always does.
        self.acpi_request: Callable[[str], bool] = lambda request: True

    @property
    def boot(self) -> BootOptions:
        """The boot option parameters, made (all zero, as at power-up) at their first use."""
        if self._boot is None:
            self._boot = BootOptions()
        return self._boot

    # -- listeners ----------------------------------------------------------
    def add_power_listener(self, fn: PowerListener) -> None:
        self._power_listeners.append(fn)

    def add_boot_listener(self, fn: BootListener) -> None:
        self._boot_listeners.append(fn)

    def _notify_power(self, on: bool, cause: str) -> None:
        for fn in list(self._power_listeners):
            try:
                fn(on, cause)
            except Exception:
                _log.failure("power listener failed")

    def _notify_boot(self, device: str, persistent: bool) -> None:
        for fn in list(self._boot_listeners):
            try:
                fn(device, persistent)
            except Exception:
                _log.failure("boot listener failed")

    # -- power --------------------------------------------------------------
    def _cancel_pending(self) -> None:
        if self._pending_power is not None and self._pending_power.active():
            self._pending_power.cancel()
        self._pending_power = None

    def _log_power(self, offset: int, asserted: bool = True) -> None:
        self._sel.log(SelEvent(SENSOR_TYPE_POWER_UNIT, POWER_UNIT_SENSOR, offset, asserted))

    def _start_boot(self) -> None:
        """Decide the boot device for the boot that starts now (BIOS consumes one-shot flags)."""
        opts = self.boot
        if opts.valid:
            self.current_boot = BootSelection(opts.device, opts.persistent, opts.efi)
            if not opts.persistent:
                opts.clear_valid()
        else:
            self.current_boot = BootSelection("default")

    def _turn_on(self, cause: str) -> None:
        if self.power_on:
            return
        self.power_on = True
        self._on_since = self._clock.seconds()
        self._log_power(OFFSET_POWER_OFF, asserted=False)
        self._start_boot()
        self._notify_power(True, cause)

    def _turn_off(self, cause: str, log: bool = True) -> None:
        if not self.power_on:
            return
        self.power_on = False
        if self._on_since is not None:
            self._poh_seconds += self._clock.seconds() - self._on_since
            self._on_since = None
        if log:
            self._log_power(OFFSET_POWER_OFF, asserted=True)
        self._notify_power(False, cause)

    def power_up(self, cause: str = "ipmi") -> None:
        """Power the host on (no-op when already on)."""
        self._cancel_pending()
        if not self.power_on and cause in ("ipmi", "redfish"):
            self.last_power_event = EVENT_IPMI_POWER_ON
            self.restart_cause = CAUSE_CHASSIS_CONTROL
        self._turn_on(cause)

    def power_down(self, cause: str = "ipmi") -> None:
        """Power the host off immediately (no-op when already off)."""
        self._cancel_pending()
        self._turn_off(cause)

    def power_cycle(self, cause: str = "ipmi") -> None:
        """Off now, on again after :data:`CYCLE_DELAY` seconds; 0xD5 while off."""
        if not self.power_on:
            raise NotSupportedInPresentState("power cycle while off")
        self._cancel_pending()
        self._log_power(OFFSET_POWER_CYCLE)
        self._turn_off(cause)
        self.restart_cause = CAUSE_WATCHDOG if cause == "watchdog" else CAUSE_CHASSIS_CONTROL
        self._pending_power = self._clock.callLater(CYCLE_DELAY, self._cycle_done, cause)

    def _cycle_done(self, cause: str) -> None:
        self._pending_power = None
        self._turn_on(cause)

    def hard_reset(self, cause: str = "ipmi") -> None:
        """Reset a running host (power stays on); 0xD5 while off."""
        if not self.power_on:
            raise NotSupportedInPresentState("reset while off")
        self._cancel_pending()
        self.restart_cause = CAUSE_WATCHDOG if cause == "watchdog" else CAUSE_CHASSIS_CONTROL
        self._sel.log(SelEvent(SENSOR_TYPE_SYSTEM_RESTART, SYSTEM_RESTART_SENSOR, 0x01))
        self._start_boot()
        self._notify_power(True, "reset")

    def soft_off(self) -> None:
        """ACPI soft shutdown: the OS powers off after :data:`SOFT_OFF_DELAY` seconds.  With no OS to take the
        request (:attr:`acpi_request` says no) nothing happens: the host stays on, as a real one in its firmware
        or boot loader does."""
        if not self.power_on or self._pending_power is not None:
            return
        if not self.acpi_request("shutdown"):
            return
        self._pending_power = self._clock.callLater(SOFT_OFF_DELAY, self._soft_done)

    def soft_restart(self, cause: str = "redfish") -> None:
        """Graceful restart (Redfish ``GracefulRestart``): the OS shuts down and reboots after
        :data:`SOFT_OFF_DELAY` seconds, a warm reset with power kept on (restart cause "soft reset"); ignored
        with no OS to take it, as :meth:`soft_off`; 0xD5 while off."""
        if not self.power_on:
            raise NotSupportedInPresentState("graceful restart while off")
        if self._pending_power is not None or not self.acpi_request("restart"):
            return
        self._pending_power = self._clock.callLater(SOFT_OFF_DELAY, self._soft_reboot, cause)

    def _soft_reboot(self, cause: str) -> None:
        self._pending_power = None
        self.restart_cause = CAUSE_SOFT_RESET
        self._sel.log(SelEvent(SENSOR_TYPE_SYSTEM_RESTART, SYSTEM_RESTART_SENSOR, 0x01))
        self._start_boot()
        self._notify_power(True, "reset")

    def _soft_done(self) -> None:
        self._pending_power = None
        self._turn_off("soft")

    def diag_interrupt(self) -> None:
        """Pulse a diagnostic interrupt (NMI); only meaningful while on."""
        if not self.power_on:
            raise NotSupportedInPresentState("diagnostic interrupt while off")

    def control(self, action: int, cause: str = "ipmi") -> None:
        """Chassis Control: 0 down, 1 up, 2 cycle, 3 hard reset, 4 diag, 5 soft.

        ``cause`` names who asked (``ipmi``, or ``redfish`` for the same control through Redfish); power
        listeners receive it.
        """
        actions: dict[int, Callable[[], None]] = {
            0: lambda: self.power_down(cause),
            1: lambda: self.power_up(cause),
            2: lambda: self.power_cycle(cause),
            3: lambda: self.hard_reset(cause),
            4: self.diag_interrupt,
            5: self.soft_off,
        }
        handler = actions.get(action)
        if handler is None:
            raise InvalidDataField(f"chassis control {action}")
        self._cancel_boot_timer()
        handler()

    # -- AC power -----------------------------------------------------------
    def ac_lost(self) -> bool:
        """Mains power gone: host off at once, timers stop; returns the old power state."""
        was_on = self.power_on
        self._cancel_pending()
        self._cancel_boot_timer()
        self.set_identify(0, False)
        self._turn_off("ac-lost", log=False)
        self.boot.params[0][0] = 0
        return was_on

    def ac_restored(self, was_on: bool) -> None:
        """The BMC finished booting after mains returned: log it, apply the restore policy."""
        self._log_power(OFFSET_AC_LOST)
        self.last_power_event = EVENT_AC_FAILED
        if self.restore_policy == "always-on" or (self.restore_policy == "previous" and was_on):
            self.restart_cause = CAUSE_ALWAYS_RESTORE if self.restore_policy == "always-on" else CAUSE_RESTORE_PREVIOUS
            self._turn_on("restore-policy")

    def cancel_timers(self) -> None:
        """Stop every pending timer (used when the BMC loses power)."""
        self._cancel_pending()
        self._cancel_boot_timer()
        if self._identify_timer is not None and self._identify_timer.active():
            self._identify_timer.cancel()
        self._identify_timer = None

    # -- identify -----------------------------------------------------------
    def set_identify(self, interval: int, force: bool) -> None:
        """Identify on indefinitely (force), for ``interval`` seconds, or off (0)."""
        if self._identify_timer is not None and self._identify_timer.active():
            self._identify_timer.cancel()
        self._identify_timer = None
        if force:
            self.identify = "on"
        elif interval == 0:
            self.identify = "off"
        else:
            self.identify = "temporary"
            self._identify_timer = self._clock.callLater(interval, self._identify_done)

    def identify_remaining(self) -> float | None:
        """Seconds until a temporary identify ends; None when it is off or on indefinitely."""
        timer = self._identify_timer
        if timer is None or not timer.active():
            return None
        return max(0.0, timer.getTime() - self._clock.seconds())

    def _identify_done(self) -> None:
        self._identify_timer = None
        self.identify = "off"

    # -- status -------------------------------------------------------------
    def status(self) -> bytes:
        """Get Chassis Status response data (4 bytes)."""
        byte1 = (1 if self.power_on else 0) | (POLICY_CODES[self.restore_policy] << 5)
        identify = IDENTIFY_CODES[self.identify]
        byte3 = 0x40 | (identify << 4)
        return bytes([byte1, self.last_power_event, byte3, 0x00])

    def poh_minutes(self) -> int:
        """Minutes the host has been powered on in total."""
        seconds = self._poh_seconds
        if self._on_since is not None:
            seconds += self._clock.seconds() - self._on_since
        return int(seconds // 60)

    # -- boot options -------------------------------------------------------
    def set_boot_param(self, param: int, data: bytes) -> None:
        """Set System Boot Options parameter ``param`` to ``data``."""
        if param not in BOOT_PARAM_LENGTHS:
            raise ParameterNotSupported(f"boot parameter {param}")
        if len(data) != BOOT_PARAM_LENGTHS[param]:
            raise RequestDataLengthInvalid(f"boot parameter {param} needs {BOOT_PARAM_LENGTHS[param]} bytes")
        stored = self.boot.params[param]
        if param == 0:
            if data[0] & 0x03 == 0x03:
                raise InvalidDataField("reserved set-in-progress value")
            stored[0] = data[0] & 0x03
        elif param == 4:
            mask, ack = data
            stored[0] = mask
            stored[1] = (stored[1] & ~mask & 0xFF) | (ack & mask)
        else:
            stored[:] = data
        if param == 5:
            self._boot_flags_written()

    def _boot_flags_written(self) -> None:
        self._cancel_boot_timer()
        opts = self.boot
        if not opts.valid:
            return
        self._notify_boot(opts.device, opts.persistent)
        if not self.boot.params[3][0] & NO_TIMEOUT_BIT:
            self._boot_timer = self._clock.callLater(BOOT_FLAG_TIMEOUT, self._boot_timeout)

    def _boot_timeout(self) -> None:
        self._boot_timer = None
        self.boot.clear_valid()

    def _cancel_boot_timer(self) -> None:
        if self._boot_timer is not None and self._boot_timer.active():
            self._boot_timer.cancel()
        self._boot_timer = None
