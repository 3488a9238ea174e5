"""Sensor/Event commands (netfn 0x04): readings, thresholds, hysteresis,
event enables, reading factors, platform events and device SDR access."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.errors import IllegalForSensorType, NotPresent
from bmc_sim.message import RequestContext
from bmc_sim.sdr import BMC_ADDRESS
from bmc_sim.sel import SYSTEM_EVENT
from bmc_sim.sensors import THRESHOLD_ORDER, Sensor

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

SENSOR_EVENT = 0x04
EVENTS_AND_SCANNING = 0xC0
READING_UNAVAILABLE = 0x20
REMOTE_SOFTWARE_GENERATOR = 0x0041


def _sensor(bmc: Bmc, number: int) -> Sensor:
    sensor = bmc.sensors.get(number)
    if sensor is None:
        raise NotPresent(f"no sensor {number:#04x}")
    return sensor


def _threshold_sensor(bmc: Bmc, number: int) -> Sensor:
    sensor = _sensor(bmc, number)
    if not sensor.is_threshold:
        raise IllegalForSensorType(f"sensor {number:#04x} is discrete")
    return sensor


@command(
    netfn=SENSOR_EVENT, cmd=0x00, name="sensor.set_event_receiver", privilege=Privilege.ADMINISTRATOR, min_len=2,
    max_len=2,
)  # fmt: skip
def set_event_receiver(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return b""


@command(netfn=SENSOR_EVENT, cmd=0x01, name="sensor.get_event_receiver", privilege=Privilege.USER, max_len=0)
def get_event_receiver(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return bytes([BMC_ADDRESS, 0x00])


@command(netfn=SENSOR_EVENT, cmd=0x02, name="sensor.platform_event", privilege=Privilege.OPERATOR, min_len=7, max_len=8)
def platform_event(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """Log a platform event; the 8-byte (system interface) form carries a generator ID."""
    if len(data) == 8:
        generator, event = data[0], data[1:]
    else:
        generator, event = REMOTE_SOFTWARE_GENERATOR, data
    record = struct.pack("<HBIH", 0, SYSTEM_EVENT, 0, generator) + event
    bmc.sel.add_raw(record)
    return b""


@command(netfn=SENSOR_EVENT, cmd=0x20, name="sensor.get_device_sdr_info", privilege=Privilege.USER, max_len=1)
def get_device_sdr_info(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    count = len(bmc.sdr) if data and data[0] & 0x01 else len(bmc.sensors)
    return bytes([count & 0xFF, 0x01])  # static population, sensors on LUN 0


@command(netfn=SENSOR_EVENT, cmd=0x21, name="sensor.get_device_sdr", privilege=Privilege.USER, min_len=6, max_len=6)
def get_device_sdr(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    reservation, record_id, offset, count = struct.unpack("<HHBB", data)
    result = bmc.sdr.read(reservation, record_id, offset, count)
    return struct.pack("<H", result.next_id) + result.data


@command(netfn=SENSOR_EVENT, cmd=0x22, name="sensor.reserve_device_sdr", privilege=Privilege.USER, max_len=0)
def reserve_device_sdr(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return struct.pack("<H", bmc.sdr.reserve())


@command(
    netfn=SENSOR_EVENT, cmd=0x23, name="sensor.get_reading_factors", privilege=Privilege.USER, min_len=2, max_len=2
)
def get_reading_factors(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    sensor = _threshold_sensor(bmc, data[0])
    lin = sensor.linear
    assert lin is not None
    m, b = lin.m & 0x3FF, lin.b & 0x3FF
    return bytes(
        [0xFF, m & 0xFF, (m >> 8) << 6, b & 0xFF, (b >> 8) << 6, 0x00, ((lin.r_exp & 0x0F) << 4) | (lin.b_exp & 0x0F)]
    )


@command(netfn=SENSOR_EVENT, cmd=0x25, name="sensor.get_hysteresis", privilege=Privilege.USER, min_len=2, max_len=2)
def get_hysteresis(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    sensor = _sensor(bmc, data[0])
    return bytes([1, 1]) if sensor.is_threshold else bytes([0, 0])


@command(netfn=SENSOR_EVENT, cmd=0x27, name="sensor.get_thresholds", privilege=Privilege.USER, min_len=1, max_len=1)
def get_thresholds(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    sensor = _threshold_sensor(bmc, data[0])
    return bytes([sensor.readable_mask()]) + bytes(sensor.threshold_raw(n) for n in THRESHOLD_ORDER)


@command(netfn=SENSOR_EVENT, cmd=0x29, name="sensor.get_event_enable", privilege=Privilege.USER, min_len=1, max_len=1)
def get_event_enable(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    mask = _sensor(bmc, data[0]).event_mask()
    return bytes([EVENTS_AND_SCANNING]) + struct.pack("<HH", mask, mask)


@command(netfn=SENSOR_EVENT, cmd=0x2D, name="sensor.get_reading", privilege=Privilege.USER, min_len=1, max_len=1)
def get_reading(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    sensor = _sensor(bmc, data[0])
    reading = sensor.read(bmc.chassis.power_on)
    if not reading.available:
        return bytes([0x00, EVENTS_AND_SCANNING | READING_UNAVAILABLE, 0xC0])
    if sensor.is_threshold:
        return bytes([reading.raw, EVENTS_AND_SCANNING, 0xC0 | reading.threshold_bits])
    states = reading.states
    return bytes([0x00, EVENTS_AND_SCANNING, states & 0xFF, 0x80 | ((states >> 8) & 0x7F)])
