"""Deterministic system load: CPU busy, memory/storage use and temperatures.

Every quantity is a pure function of the switch seed, an item index and the
switch uptime, so two switches built from the same seed report the same
numbers at the same uptime.  CPU busy is drawn per 5-second interval from
the model's ``[low, high]`` range; 1-minute and 5-minute figures are true
averages of those samples, so they are consistent with each other.
"""

from __future__ import annotations

from switch_sim.detrand import unit
from switch_sim.personality import LoadSpec, SensorPart, StorageSpec

SAMPLE_SECONDS = 5
_CPU_KEY = 1
_STORAGE_KEY = 2
_SENSOR_KEY = 3


def cpu_busy_sample(seed: int, cpu: int, bucket: int, load: LoadSpec) -> float:
    """Busy percentage of ``cpu`` during the 5-second interval number ``bucket``."""
    return load.low + (load.high - load.low) * unit(seed, _CPU_KEY, cpu, bucket)


def cpu_busy(seed: int, cpu: int, uptime: float, window: int, load: LoadSpec) -> int:
    """Average busy percentage over the last ``window`` seconds (at most since boot), rounded."""
    last = int(uptime // SAMPLE_SECONDS)
    count = max(1, min(window // SAMPLE_SECONDS, last + 1))
    total = sum(cpu_busy_sample(seed, cpu, b, load) for b in range(last - count + 1, last + 1))
    return round(total / count)


def storage_used(seed: int, index: int, uptime: float, spec: StorageSpec) -> int:
    """hrStorageUsed of storage row ``index``: the nominal fill plus a per-minute wobble."""
    minute = int(uptime // 60)
    fraction = spec.used_fraction + spec.wobble * (2.0 * unit(seed, _STORAGE_KEY, index, minute) - 1.0)
    return max(0, min(spec.size, int(spec.size * fraction)))


def sensor_celsius(seed: int, sensor: SensorPart, uptime: float) -> int:
    """A temperature reading within 1.5 degrees of the sensor's nominal value, per minute."""
    minute = int(uptime // 60)
    return round(sensor.celsius + 3.0 * (unit(seed, _SENSOR_KEY, sensor.index, minute) - 0.5))
