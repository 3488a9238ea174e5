"""The argument checks of a node's fault and record operations, shared by the local node and a worker's stand-in.

Each raises :class:`~vrack.errors.InvalidArgument` naming the parameter and the valid values, with the same
words whether the node runs in this process or in a worker (``vrack up --workers``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from bmc_sim.config import SensorConfig
from bmc_sim.sensors import Sensor
from vrack.errors import InvalidArgument
from vrack.roles import SensorLevels


def threshold_sensor(device: str, sensors: Iterable[Sensor], name: str) -> Sensor:
    """The threshold sensor ``name`` of ``device``."""
    sensors = list(sensors)
    for sensor in sensors:
        if sensor.name == name and sensor.is_threshold:
            return sensor
    valid = [s.name for s in sensors if s.is_threshold]
    raise InvalidArgument(f"{device} has no threshold sensor {name!r}", "sensor", valid)


def sensor_levels(sensor: Sensor, configs: Iterable[SensorConfig]) -> SensorLevels:
    """``sensor``'s nominal reading (from its configuration), forced value and thresholds."""
    config = next(c for c in configs if c.number == sensor.number)
    thresholds = {n: float(v) for n, v in dataclasses.asdict(sensor.thresholds).items() if v is not None}
    return SensorLevels(sensor.name, float(config.nominal), sensor.override, thresholds)


def fan_sensors(node: Any) -> list[str]:
    """The names of ``node``'s threshold fan sensors: a worker's stand-in names them from its BMC
    configuration (its listed state may come from the plan, without sensors), a local node from ``describe()``."""
    configured = getattr(node, "fan_sensors", None)
    if callable(configured):
        return list(configured())
    return [s["name"] for s in node.describe()["sensors"] if s["type"] == "fan"]


def check_disk(device: str, disk: int, count: int) -> None:
    """``disk`` must be one of ``device``'s ``count`` drives (0-based)."""
    if not 0 <= disk < count:
        valid = [f"0..{count - 1}"] if count else []
        raise InvalidArgument(f"{device} has {count} drives, no drive {disk}", "disk", valid)
