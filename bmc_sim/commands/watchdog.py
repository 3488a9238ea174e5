"""BMC watchdog timer (IPMI 2.0 section 27) and its three commands.

The countdown runs on the injected clock in 100 ms units.  On expiry the
configured action (none, hard reset, power down, power cycle) is taken on the
chassis, the timer-use expiration flag is set, a Watchdog 2 SEL entry is
logged (unless "don't log" was set) and the timer stops.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from bmc_sim.chassis import Chassis
from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.errors import CommandSpecific, InvalidDataField, IpmiError
from bmc_sim.message import RequestContext
from bmc_sim.sel import Clock, DelayedCall, Sel, SelEvent
from bmc_sim.sensors import SENSOR_TYPE_WATCHDOG2, WATCHDOG_SENSOR

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

APP = 0x06
ACTION_NONE, ACTION_RESET, ACTION_POWER_DOWN, ACTION_POWER_CYCLE = 0, 1, 2, 3


class Watchdog:
    """State of the watchdog timer; actions go to ``chassis``, events to ``sel``."""

    def __init__(self, clock: Clock, chassis: Chassis, sel: Sel) -> None:
        self._clock = clock
        self._chassis = chassis
        self._sel = sel
        self.timer_use = 0
        self.dont_log = False
        self.actions = 0
        self.pretimeout = 0
        self.expiration_flags = 0
        self.initial = 0  # 100 ms units
        self.initialised = False
        self._remaining = 0  # 100 ms units, while stopped
        self._timer: DelayedCall | None = None
        self._deadline = 0.0

    @property
    def running(self) -> bool:
        return self._timer is not None and self._timer.active()

    def present_countdown(self) -> int:
        """Remaining 100 ms counts."""
        if self.running:
            return max(0, round((self._deadline - self._clock.seconds()) * 10))
        return self._remaining

    def set(self, data: bytes) -> None:
        """Set Watchdog Timer with the 6 request bytes."""
        use, actions, pretimeout, clear_flags = data[0], data[1], data[2], data[3]
        initial = struct.unpack_from("<H", data, 4)[0]
        if use & 0x07 in (0, 6, 7) or actions & 0x07 > ACTION_POWER_CYCLE:
            raise InvalidDataField("watchdog timer use or action")
        if pretimeout and pretimeout * 10 > initial:
            raise InvalidDataField("pre-timeout interval longer than countdown")
        keep_running = bool(use & 0x40) and self.running
        self.timer_use = use & 0x07
        self.dont_log = bool(use & 0x80)
        self.actions = actions & 0x77
        self.pretimeout = pretimeout
        self.expiration_flags &= ~clear_flags & 0xFF
        self.initial = initial
        self.initialised = True
        if keep_running:
            self._start(initial)
        else:
            self.stop()
            self._remaining = initial

    def reset(self) -> None:
        """Reset Watchdog Timer: (re)start counting from the initial value."""
        if not self.initialised:
            raise CommandSpecific(0x80, "attempt to start un-initialised watchdog")
        self._start(self.initial)

    def stop(self) -> None:
        if self.running:
            self._remaining = self.present_countdown()
            assert self._timer is not None
            self._timer.cancel()
        self._timer = None

    def get(self) -> bytes:
        """Get Watchdog Timer response data (8 bytes)."""
        use = self.timer_use | (0x80 if self.dont_log else 0) | (0x40 if self.running else 0)
        return bytes([use, self.actions, self.pretimeout, self.expiration_flags]) + struct.pack(
            "<HH", self.initial, self.present_countdown()
        )

    def _start(self, counts: int) -> None:
        if self.running:
            assert self._timer is not None
            self._timer.cancel()
        self._deadline = self._clock.seconds() + counts / 10
        self._timer = self._clock.callLater(counts / 10, self._expire)

    def _expire(self) -> None:
        self._timer = None
        self._remaining = 0
        self.expiration_flags |= 1 << self.timer_use
        action = self.actions & 0x07
        if not self.dont_log:
            self._sel.log(
                SelEvent(
                    SENSOR_TYPE_WATCHDOG2,
                    WATCHDOG_SENSOR,
                    action,
                    data2=((self.actions >> 4) & 0x07) << 4 | self.timer_use,
                    data_flags=0xC0,
                )
            )
        try:
            if action == ACTION_RESET:
                self._chassis.hard_reset("watchdog")
            elif action == ACTION_POWER_DOWN:
                self._chassis.power_down("watchdog")
            elif action == ACTION_POWER_CYCLE:
                self._chassis.power_cycle("watchdog")
        except IpmiError:
            pass  # reset or cycle of a host that is off: nothing to do


@command(netfn=APP, cmd=0x22, name="app.reset_watchdog", privilege=Privilege.OPERATOR, max_len=0)
def reset_watchdog(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.watchdog.reset()
    return b""


@command(netfn=APP, cmd=0x24, name="app.set_watchdog", privilege=Privilege.OPERATOR, min_len=6, max_len=6)
def set_watchdog(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    bmc.watchdog.set(data)
    return b""


@command(netfn=APP, cmd=0x25, name="app.get_watchdog", privilege=Privilege.USER, max_len=0)
def get_watchdog(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return bmc.watchdog.get()
