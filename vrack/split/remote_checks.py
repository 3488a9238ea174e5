"""What the coordinator knows of a worker-served node's BMC, to check fault and record arguments at once.

The node's BMC configuration (its sensors and their thresholds) and its drives follow from the plan, so the
coordinator builds them on first use (not at start: a rack of 100,000 nodes would pay for every one) and
checks arguments with :mod:`vrack.devices.node_checks`, as the local node does.  Sensors are forced only
through the rack, so the forced values recorded here are the worker's.
"""

from __future__ import annotations

from functools import cached_property

from bmc_sim.config import BmcConfig
from bmc_sim.sensors import Sensor
from node_sim.hardware import load_hardware
from vrack.devices import bmc_views
from vrack.devices.compute_bmc import bmc_config
from vrack.devices.node_checks import check_disk, sensor_levels, threshold_sensor
from vrack.plan import NodePlan, RackPlan
from vrack.roles import SensorLevels


class NodeChecks:
    """Argument checks for node ``plan`` of ``rack`` (see the module docstring)."""

    def __init__(self, plan: NodePlan, rack: RackPlan) -> None:
        self.plan = plan
        self.rack = rack

    @cached_property
    def _config(self) -> BmcConfig:
        return bmc_config(self.plan, self.rack)

    @cached_property
    def _sensors(self) -> list[Sensor]:
        return [Sensor.from_config(config) for config in self._config.sensors]

    def sensor_levels(self, name: str) -> SensorLevels:
        return sensor_levels(threshold_sensor(self.plan.name, self._sensors, name), self._config.sensors)

    def force(self, name: str, value: float | None) -> None:
        """Check ``name`` and remember ``value`` as the sensor's forced reading (None: released)."""
        threshold_sensor(self.plan.name, self._sensors, name).override = value

    def fan_sensors(self) -> list[str]:
        """The names of the threshold fan sensors, in the order the local node's ``describe()`` lists them."""
        return [
            sensor.name
            for sensor in self._sensors
            if sensor.is_threshold
            and sensor.linear is not None
            and bmc_views.SENSOR_TYPES.get(sensor.sensor_type) == "fan"
        ]

    def sel_event(self, event: dict[str, object]) -> None:
        """A SEL event body must be one the BMC can log."""
        bmc_views.sel_event_from(dict(event))

    @property
    def disk_count(self) -> int:
        return len(load_hardware(self.plan.spec.model).disks)

    def disk(self, disk: int) -> None:
        check_disk(self.plan.name, disk, self.disk_count)
