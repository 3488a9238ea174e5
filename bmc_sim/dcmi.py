"""DCMI 1.5 data of one BMC: what it advertises (Get DCMI Capabilities Info) and its power statistics.

:class:`PowerStatistics` reads a power meter (a callable giving watts: the rack's power model when a
rack runs the BMC, else a host-on/standby default) whenever a reading is asked for and whenever host or
AC power changes, and keeps the minimum, the maximum and the time-weighted average since the BMC
booted, as DCMI's "system power statistics" report them.  The enhanced (rolling average) statistics are
not offered: the capabilities say so (no rolling periods).

:class:`PowerLimit` is DCMI power limiting (Get/Set/Activate Power Limit).  While a limit is active and
the host would draw more, the host is throttled to the limit if it can be: a host can throttle down to
:data:`THROTTLE_FLOOR` of its unthrottled draw.  A limit below that cannot be held; when it is still
exceeded after the correction time, the BMC takes the exception action (log a SEL event, or log one and
power the host off hard).
"""

from __future__ import annotations

from collections.abc import Callable

from bmc_sim.errors import CommandSpecific, InvalidDataField
from bmc_sim.sel import Clock, DelayedCall

GROUP_EXTENSION = 0xDC
SPEC_MAJOR, SPEC_MINOR, PARAMETER_REVISION = 0x01, 0x05, 0x02
DEFAULT_HOST_WATTS, DEFAULT_STANDBY_WATTS = 250.0, 12.0

Meter = Callable[[], float]


STRING_LIMITS = {"asset_tag": 63, "mc_id": 63}  # bytes; the identifier string's 64th is its NUL


class DcmiIdentity:
    """The DCMI asset tag (from the FRU's product asset tag) and management controller identifier string,
    in :attr:`strings` by the names of :data:`STRING_LIMITS`."""

    def __init__(self, asset_tag: str, mc_id: str) -> None:
        given = {"asset_tag": asset_tag, "mc_id": mc_id}
        self.strings = {name: given[name].encode("latin-1", "replace")[:limit] for name, limit in STRING_LIMITS.items()}


def capability(param: int, *, sel_capacity: int, channel: int) -> bytes | None:
    """Data of DCMI capability parameter ``param`` (after the revision byte), None when unknown."""
    if param == 1:  # supported capabilities
        mandatory = 0x0F  # identification, SEL logging, chassis power, temperature monitor
        optional = 0x01  # power management (power readings and power limiting)
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


# Exception actions of Set Power Limit (DCMI 1.5 table 6-17); 0x02..0x10 are OEM and not offered here.
ACTION_NONE, ACTION_HARD_OFF, ACTION_LOG = 0x00, 0x01, 0x11
ACTIONS = {ACTION_NONE: "none", ACTION_HARD_OFF: "hard power off and log to SEL", ACTION_LOG: "log to SEL"}
THROTTLE_FLOOR = 0.6  # the lowest share of its unthrottled draw a host can be throttled to
CORRECTION_MS = (1_000, 600_000)  # correction time limits the BMC accepts
SAMPLING_S = (1, 3_600)  # statistics sampling periods the BMC accepts
# DCMI completion codes of the power limit commands
NO_ACTIVE_LIMIT, LIMIT_OUT_OF_RANGE, CORRECTION_OUT_OF_RANGE, SAMPLING_OUT_OF_RANGE = 0x80, 0x84, 0x85, 0x89

Exceeded = Callable[[int, float, int], None]


class PowerLimit:
    """One BMC's DCMI power limit: its settings, throttling and the exception action.

    ``raw_meter`` gives the host's unthrottled draw; :meth:`apply` turns a draw into what the host really
    draws under the limit.  :meth:`check` must be called when the draw may have changed (the BMC calls it on
    host power changes); ``exceeded(action, watts, limit)`` is called when the correction time ran out.
    """

    def __init__(self, clock: Clock, raw_meter: Meter, exceeded: Exceeded) -> None:
        self._clock = clock
        self._raw_meter = raw_meter
        self._exceeded = exceeded
        self.action = ACTION_NONE
        self.watts = 0
        self.correction_ms = CORRECTION_MS[0]
        self.sampling_s = SAMPLING_S[0]
        self.active = False
        self._timer: DelayedCall | None = None
        self._reported = False  # the exception action was taken for the current excursion
        self.listeners: list[Callable[[], None]] = []  # told when a change of the limit may change the draw

    def configure(self, action: int, watts: int, correction_ms: int, sampling_s: int) -> None:
        """Set Power Limit: validate every field first (a refused request changes nothing), then store."""
        if action not in ACTIONS:
            valid = ", ".join(f"{code:#04x} ({name})" for code, name in ACTIONS.items())
            raise InvalidDataField(f"exception action {action:#04x} (valid: {valid})")
        if watts < 1:
            raise CommandSpecific(LIMIT_OUT_OF_RANGE, f"power limit {watts} W (1..65535)")
        if not CORRECTION_MS[0] <= correction_ms <= CORRECTION_MS[1]:
            raise CommandSpecific(CORRECTION_OUT_OF_RANGE, f"correction time {correction_ms} ms {CORRECTION_MS}")
        if not SAMPLING_S[0] <= sampling_s <= SAMPLING_S[1]:
            raise CommandSpecific(SAMPLING_OUT_OF_RANGE, f"sampling period {sampling_s} s {SAMPLING_S}")
        self.action, self.watts, self.correction_ms, self.sampling_s = action, watts, correction_ms, sampling_s
        self._changed()

    def activate(self, on: bool) -> None:
        """Activate or deactivate the stored limit."""
        self.active = on
        self._changed()

    def apply(self, watts: float) -> float:
        """What the host draws under the limit when it would draw ``watts`` unthrottled."""
        if not self.active or watts <= self.watts or self.watts < watts * THROTTLE_FLOOR:
            return watts
        return float(self.watts)

    def reading(self) -> float:
        """The host's draw now, throttled by the limit (what the BMC's meter reads)."""
        return self.apply(self._raw_meter())

    def unholdable(self) -> bool:
        """True while the limit is active and throttling cannot bring the draw down to it."""
        return self.active and self._raw_meter() * THROTTLE_FLOOR > self.watts

    def check(self) -> None:
        """Start the correction timer when the limit cannot be held, cancel it when it can again.

        The exception action is taken once per excursion: the draw must come back within the limit (or the
        limit change) before it is taken again."""
        if self.unholdable():
            if self._timer is None and not self._reported:
                self._timer = self._clock.callLater(self.correction_ms / 1000, self._correction_over)
        else:
            self._cancel()
            self._reported = False

    def _changed(self) -> None:
        self._cancel()
        self._reported = False
        self.check()
        for listener in list(self.listeners):
            listener()

    def _cancel(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def _correction_over(self) -> None:
        self._timer = None
        if not self.unholdable():
            return
        self._reported = True
        if self.action != ACTION_NONE:
            self._exceeded(self.action, self._raw_meter(), self.watts)
