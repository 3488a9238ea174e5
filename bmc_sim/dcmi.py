"""DCMI 1.5 data of one BMC: what it advertises (Get DCMI Capabilities Info) and its power statistics.

:class:`PowerStatistics` reads a power meter (a callable giving watts: the rack's power model when a
rack runs the BMC, else a host-on/standby default) whenever a reading is asked for and whenever host or
AC power changes, and keeps the minimum, the maximum and the time-weighted average since the BMC
booted, as DCMI's "system power statistics" report them.  Power limiting and the enhanced (rolling
average) statistics are not offered: the capabilities say so (no rolling periods), and their commands
are not implemented.
"""

from __future__ import annotations

from collections.abc import Callable

from bmc_sim.sel import Clock

GROUP_EXTENSION = 0xDC
SPEC_MAJOR, SPEC_MINOR, PARAMETER_REVISION = 0x01, 0x05, 0x02
DEFAULT_HOST_WATTS, DEFAULT_STANDBY_WATTS = 250.0, 12.0

Meter = Callable[[], float]


def capability(param: int, *, sel_capacity: int, channel: int) -> bytes | None:
    """Data of DCMI capability parameter ``param`` (after the revision byte), None when unknown."""
    if param == 1:  # supported capabilities
        mandatory = 0x0F  # identification, SEL logging, chassis power, temperature monitor
        optional = 0x01  # power management (power readings)
        access = 0x19  # in-band KCS, out-of-band primary LAN, SOL
        return bytes([mandatory, optional, access])
    if param == 2:  # mandatory platform attributes
        sel = min(sel_capacity, 0x0FFF)  # entries; no automatic rollover, no flush on rollover
        return bytes([sel & 0xFF, sel >> 8, 0x01, 0x07, 0x01])  # GUID id; inlet/CPU/baseboard temps; every 1 s
    if param == 3:  # optional platform attributes: power management on the BMC (0x20), channel 0, rev 1
        return bytes([0x20, 0x01])
    if param == 4:  # manageability access: primary LAN channel, no secondary LAN, no serial TMODE
        return bytes([channel, 0xFF, 0xFF])
    if param == 5:  # enhanced system power statistics: no rolling average periods
        return bytes([0x00])
    return None


class PowerStatistics:
    """Minimum, maximum and time-weighted average of the meter since :meth:`restart`."""

    def __init__(self, clock: Clock, meter: Meter) -> None:
        self._clock = clock
        self.meter = meter
        self.restart()

    def restart(self) -> None:
        """Start a new statistics period (the BMC booted)."""
        now = self._clock.seconds()
        watts = self.meter()
        self._start = self._last_time = now
        self._last_watts = self._minimum = self._maximum = watts
        self._energy = 0.0

    def sample(self) -> float:
        """Read the meter now, fold the interval since the last sample into the statistics; the watts."""
        now = self._clock.seconds()
        self._energy += self._last_watts * (now - self._last_time)
        watts = self.meter()
        self._last_time, self._last_watts = now, watts
        self._minimum = min(self._minimum, watts)
        self._maximum = max(self._maximum, watts)
        return watts

    def reading(self) -> tuple[int, int, int, int, int]:
        """``(current, minimum, maximum, average)`` watts and the period in milliseconds."""
        current = self.sample()
        period = self._last_time - self._start
        average = self._energy / period if period > 0 else current
        return round(current), round(self._minimum), round(self._maximum), round(average), int(period * 1000)
