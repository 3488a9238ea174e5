"""Sensors: kinds, linearisation, readings and threshold status.

A :class:`Sensor` is the runtime view of one SDR-described sensor.  Threshold
sensors (temperature, voltage, current, fan, power) convert engineering values
to raw bytes with the IPMI linear formula ``y = (M*x + B*10^Bexp) * 10^Rexp``;
discrete sensors (drive slots, the BMC's own power unit and watchdog sensors)
report a bitmask of asserted states.

Readings are deterministic: ``nominal`` while the host is powered on,
``off_value`` while it is off.  A threshold sensor whose ``off_value`` lies
outside its thresholds reports "reading unavailable" while the host is off,
as a real BMC does for sensors on an unpowered rail, so that a powered-off
node does not look like a failing one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bmc_sim.config import SensorConfig, SensorKind, Thresholds

THRESHOLD_READING = 0x01  # event/reading type code: threshold based
SENSOR_SPECIFIC = 0x6F  # event/reading type code: sensor specific discrete

# kind -> (IPMI sensor type, base unit code); unit 0 = unspecified
KIND_CODES: dict[SensorKind, tuple[int, int]] = {
    SensorKind.TEMPERATURE: (0x01, 1),  # degrees C
    SensorKind.VOLTAGE: (0x02, 4),  # Volts
    SensorKind.CURRENT: (0x03, 5),  # Amps
    SensorKind.FAN: (0x04, 18),  # RPM
    SensorKind.POWER: (0x08, 6),  # Watts
    SensorKind.DRIVE: (0x0D, 0),
}

SENSOR_TYPE_POWER_UNIT = 0x09
SENSOR_TYPE_WATCHDOG2 = 0x23
SENSOR_TYPE_SYSTEM_RESTART = 0x1D

# Sensor numbers of the BMC's own discrete sensors; configured sensors must not use them.
POWER_UNIT_SENSOR = 0xE0
WATCHDOG_SENSOR = 0xE1
SYSTEM_RESTART_SENSOR = 0xE2
RESERVED_SENSOR_NUMBERS = frozenset({POWER_UNIT_SENSOR, WATCHDOG_SENSOR, SYSTEM_RESTART_SENSOR})

# Order of the six thresholds in Get Sensor Thresholds and their mask bits.
THRESHOLD_ORDER = (
    "lower_non_critical",
    "lower_critical",
    "lower_non_recoverable",
    "upper_non_critical",
    "upper_critical",
    "upper_non_recoverable",
)
# Order of thresholds in the Full Sensor Record (bytes 37..42).
SDR_THRESHOLD_ORDER = (
    "upper_non_recoverable",
    "upper_critical",
    "upper_non_critical",
    "lower_non_recoverable",
    "lower_critical",
    "lower_non_critical",
)
THRESHOLD_BIT = {name: 1 << i for i, name in enumerate(THRESHOLD_ORDER)}
_NICE_STEPS = (1, 2, 5)


@dataclass(frozen=True, slots=True)
class Linear:
    """IPMI linear conversion factors.

    Raw readings are unsigned (0..255) or, when ``signed``, two's complement
    (-128..127, analog data format 10b) for sensors that can read below zero.
    """

    m: int
    b: int
    r_exp: int
    b_exp: int = 0
    signed: bool = False

    def to_value(self, raw: int) -> float:
        """Engineering value of the raw byte ``raw``."""
        level = raw - 256 if self.signed and raw > 127 else raw
        return float((self.m * level + self.b * 10.0**self.b_exp) * 10.0**self.r_exp)

    def level(self, value: float) -> int:
        """Nearest raw level for ``value`` (signed when the format is), clamped to range."""
        low, high = (-128, 127) if self.signed else (0, 255)
        raw = (value / 10.0**self.r_exp - self.b * 10.0**self.b_exp) / self.m
        return max(low, min(high, round(raw)))

    def to_raw(self, value: float) -> int:
        """The raw byte for ``value``."""
        return self.level(value) & 0xFF

    @property
    def units1(self) -> int:
        """Sensor Units 1 byte: the analog data format bits."""
        return 0x80 if self.signed else 0x00


def linearisation_for(values: list[float]) -> Linear:
    """Pick M and R-exponent so that every value in ``values`` fits the raw range.

    The resolution is the smallest 1/2/5 x 10^n step whose full scale covers
    the largest magnitude plus 20 % headroom, so common readings (12.0 V,
    3.30 V, 8000 RPM) are exact.  Negative values select the signed format.
    """
    signed = min([*values, 0.0]) < 0
    span = 127 if signed else 255
    top = max([*(abs(v) for v in values), 1.0]) * 1.2
    for exp in range(-3, 8):
        for step in _NICE_STEPS:
            if span * step * 10.0**exp >= top:
                return Linear(m=step, b=0, r_exp=exp, signed=signed)
    return Linear(m=500, b=0, r_exp=7, signed=signed)


@dataclass(frozen=True, slots=True)
class Reading:
    """One Get Sensor Reading answer in IPMI terms."""

    raw: int
    available: bool
    threshold_bits: int = 0  # for threshold sensors: bit0 <=LNC ... bit5 >=UNR
    states: int = 0  # for discrete sensors: asserted state offsets as a bitmask


def threshold_event_mask(readable: int) -> int:
    """Assertion event bits for readable thresholds: going-low for lower, going-high for upper ones."""
    mask = 0
    for i in range(6):
        if readable & (1 << i):
            mask |= 1 << (2 * i + (1 if i >= 3 else 0))
    return mask


class Sensor:
    """One sensor as the SDR and the sensor commands see it.

    Only :attr:`override` changes; what a sensor is and how it reads come from its configuration and are
    shared by every BMC of a model (:func:`_configured`), so a rack of 100,000 BMCs keeps one copy of them.
    """

    __slots__ = (
        "_value",
        "entity_id",
        "entity_instance",
        "linear",
        "name",
        "number",
        "override",
        "reading_type",
        "sensor_type",
        "state_mask",
        "thresholds",
        "unit",
    )  # fmt: skip

    def __init__(
        self,
        number: int,
        name: str,
        sensor_type: int,
        reading_type: int,
        *,
        unit: int = 0,
        entity_id: int = 0x07,
        entity_instance: int = 1,
        linear: Linear | None = None,
        thresholds: Thresholds | None = None,
        state_mask: int = 0,
        value: Callable[[bool], float | None],
    ) -> None:
        self.number = number
        self.name = name
        self.sensor_type = sensor_type
        self.reading_type = reading_type
        self.unit = unit
        self.entity_id = entity_id
        self.entity_instance = entity_instance
        self.linear = linear
        self.thresholds = thresholds or Thresholds()
        self.state_mask = state_mask
        self._value = value
        self.override: float | None = None  # a reading forced by a fault or scenario while the host runs

    @property
    def is_threshold(self) -> bool:
        return self.reading_type == THRESHOLD_READING

    @classmethod
    def from_config(cls, cfg: SensorConfig) -> Sensor:
        """Build a sensor from its configuration."""
        sensor_type, reading_type, unit, linear, state_mask, value = _configured(cfg)
        return cls(
            cfg.number,
            cfg.name,
            sensor_type,
            reading_type,
            unit=unit,
            entity_id=cfg.entity_id,
            entity_instance=cfg.entity_instance,
            linear=linear,
            thresholds=cfg.thresholds,
            state_mask=state_mask,
            value=value,
        )

    def event_mask(self) -> int:
        """Events this sensor can generate (assertion = deassertion mask)."""
        return threshold_event_mask(self.readable_mask()) if self.is_threshold else self.state_mask

    def readable_mask(self) -> int:
        """Bit per readable threshold (bit0 LNC ... bit5 UNR)."""
        mask = 0
        for name in THRESHOLD_ORDER:
            if getattr(self.thresholds, name) is not None:
                mask |= THRESHOLD_BIT[name]
        return mask

    def threshold_raw(self, name: str) -> int:
        """Raw value of threshold ``name``; 0 when it is not readable."""
        value = getattr(self.thresholds, name)
        if value is None or self.linear is None:
            return 0
        return self.linear.to_raw(value)

    def nominal_raw(self) -> int:
        """The raw reading of a running host with nothing forced: the SDR's nominal reading, whenever it is asked."""
        value = self._value(True)
        if value is None or self.linear is None:
            return 0
        return self.linear.level(value) & 0xFF

    def read(self, host_on: bool) -> Reading:
        """The current reading for the given host power state (the override while the host runs)."""
        value = self.override if host_on and self.override is not None else self._value(host_on)
        if value is None:
            return Reading(raw=0, available=False)
        if self.linear is None:
            return Reading(raw=0, available=True, states=int(value) & 0x7FFF)
        level = self.linear.level(value)
        return Reading(raw=level & 0xFF, available=True, threshold_bits=self._compare(self.linear, level))

    def _compare(self, linear: Linear, level: int) -> int:
        """Threshold status bits, compared in raw levels as a real BMC does."""
        bits = 0
        for name in THRESHOLD_ORDER:
            value = getattr(self.thresholds, name)
            if value is None:
                continue
            limit = linear.level(value)
            crossed = level <= limit if name.startswith("lower") else level >= limit
            if crossed:
                bits |= THRESHOLD_BIT[name]
        return bits


# Threshold event offsets (IPMI table 42-2): each threshold's "going low" offset; "going high" is the next one.
THRESHOLD_EVENT_OFFSET = {
    "lower_non_critical": 0x00,
    "lower_critical": 0x02,
    "lower_non_recoverable": 0x04,
    "upper_non_critical": 0x06,
    "upper_critical": 0x08,
    "upper_non_recoverable": 0x0A,
}


@dataclass(frozen=True)
class ThresholdEvent:
    """A threshold crossed (``asserted``) or left (deasserted) when a reading changed."""

    threshold: str
    offset: int
    asserted: bool
    reading_raw: int
    threshold_raw: int


def threshold_events(sensor: Sensor, before: Reading, after: Reading) -> list[ThresholdEvent]:
    """What a BMC logs when ``sensor`` goes from ``before`` to ``after``: one event per threshold whose state
    changed, in threshold order.  Upper thresholds assert "going high", lower ones "going low"."""
    if not sensor.is_threshold or not after.available:
        return []
    old = before.threshold_bits if before.available else 0
    events = []
    for name in THRESHOLD_ORDER:
        bit = THRESHOLD_BIT[name]
        if (old ^ after.threshold_bits) & bit:
            offset = THRESHOLD_EVENT_OFFSET[name] + (1 if name.startswith("upper") else 0)
            asserted = bool(after.threshold_bits & bit)
            events.append(ThresholdEvent(name, offset, asserted, after.raw, sensor.threshold_raw(name)))
    return events


def _within(value: float, th: Thresholds) -> bool:
    """True when ``value`` triggers no threshold."""
    lows = [v for v in (th.lower_non_critical, th.lower_critical, th.lower_non_recoverable) if v is not None]
    highs = [v for v in (th.upper_non_critical, th.upper_critical, th.upper_non_recoverable) if v is not None]
    return all(value > v for v in lows) and all(value < v for v in highs)


class SensorSet:
    """All sensors of one BMC, by number, in SDR order."""

    def __init__(self, sensors: list[Sensor]) -> None:
        self._by_number: dict[int, Sensor] = {}
        for sensor in sensors:
            if sensor.number in self._by_number:
                raise ValueError(f"sensor number {sensor.number:#04x} used twice")
            self._by_number[sensor.number] = sensor

    def __iter__(self) -> Iterator[Sensor]:
        return iter(self._by_number.values())

    def __len__(self) -> int:
        return len(self._by_number)

    def get(self, number: int) -> Sensor | None:
        return self._by_number.get(number)


@functools.cache
def _configured(cfg: SensorConfig) -> tuple[int, int, int, Linear | None, int, Callable[[bool], float | None]]:
    """What a sensor of configuration ``cfg`` is and how it reads: (sensor type, reading type, unit, linearisation,
    state mask, value function), made once per configuration."""
    sensor_type, unit = KIND_CODES[cfg.kind]
    if cfg.kind is SensorKind.DRIVE:

        def drive_value(host_on: bool) -> float | None:
            return cfg.nominal if host_on else cfg.off_value

        return sensor_type, SENSOR_SPECIFIC, 0, None, 0x0007, drive_value  # present, fault, predictive failure
    th = cfg.thresholds
    candidates = [cfg.nominal, cfg.off_value] + [v for v in (getattr(th, n) for n in THRESHOLD_ORDER) if v is not None]
    off_ok = _within(cfg.off_value, th)

    def analog_value(host_on: bool) -> float | None:
        if host_on:
            return cfg.nominal
        return cfg.off_value if off_ok else None

    return sensor_type, THRESHOLD_READING, unit, linearisation_for(candidates), 0, analog_value


def build_sensors(configs: tuple[SensorConfig, ...], power_on: Callable[[], bool]) -> SensorSet:
    """Configured sensors plus the BMC's Power Unit, Watchdog and System Restart sensors.

    ``power_on`` tells whether the host is powered; the Power Unit sensor
    asserts "Power off/down" (offset 0) while it is not.
    """
    sensors = []
    for cfg in configs:
        if cfg.number in RESERVED_SENSOR_NUMBERS:
            raise ValueError(f"sensor {cfg.name!r}: number {cfg.number:#04x} is reserved for the BMC")
        sensors.append(Sensor.from_config(cfg))

    def power_unit_state(_host_on: bool) -> float:
        return 0.0 if power_on() else 1.0

    sensors.append(
        Sensor(
            POWER_UNIT_SENSOR,
            "Power Unit",
            SENSOR_TYPE_POWER_UNIT,
            SENSOR_SPECIFIC,
            entity_id=0x15,  # power unit / power domain
            state_mask=0x0013,  # power off/down, power cycle, AC lost
            value=power_unit_state,
        )
    )
    sensors.append(
        Sensor(
            WATCHDOG_SENSOR,
            "Watchdog",
            SENSOR_TYPE_WATCHDOG2,
            SENSOR_SPECIFIC,
            entity_id=0x07,
            state_mask=0x000F,  # expired, hard reset, power down, power cycle
            value=lambda _host_on: 0.0,
        )
    )
    sensors.append(
        Sensor(
            SYSTEM_RESTART_SENSOR,
            "System Restart",
            SENSOR_TYPE_SYSTEM_RESTART,
            SENSOR_SPECIFIC,
            entity_id=0x07,
            state_mask=0x0003,  # initiated by power up, by hard reset
            value=lambda _host_on: 0.0,
        )
    )
    return SensorSet(sensors)


def clamp_exponent(exp: int) -> int:
    """A 4-bit two's complement exponent as stored in the SDR."""
    if not -8 <= exp <= 7:
        raise ValueError(f"exponent {exp} out of range")
    return exp & 0x0F
