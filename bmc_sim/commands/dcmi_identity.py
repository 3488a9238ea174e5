"""DCMI identification and temperature commands (netfn 0x2C): asset tag, management controller identifier
string, sensor info and temperature readings.

Both strings are read and written in chunks of at most 16 bytes at an offset, as DCMI 1.5 sections 6.4.2-6.4.7
give them; each answer carries the string's total length.  The asset tag starts as the FRU's product asset
tag, the identifier string as the BMC's name; writes change what DCMI reports (the FRU image stays as it is).
Temperature sensors are found by entity: DCMI's inlet (0x40), CPU (0x41) and baseboard (0x42) IDs, or the
IPMI IDs they stand for (0x37 air inlet, 0x03 processor, 0x07 system board).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege, SensorKind
from bmc_sim.dcmi import GROUP_EXTENSION, STRING_LIMITS
from bmc_sim.errors import InvalidDataField, ParameterOutOfRange
from bmc_sim.message import RequestContext
from bmc_sim.sensors import KIND_CODES, Sensor

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

GROUP = 0x2C
CHUNK = 16  # bytes one request reads or writes
TEMPERATURE = KIND_CODES[SensorKind.TEMPERATURE][0]
DCMI_ENTITIES = {0x40: 0x37, 0x41: 0x03, 0x42: 0x07}  # DCMI entity ID -> the IPMI entity it names
PER_ANSWER = 8  # record IDs or readings in one answer


def _group(data: bytes) -> None:
    if data[0] != GROUP_EXTENSION:
        raise InvalidDataField(f"group extension {data[0]:#04x} is not DCMI's 0xdc")


def _read(bmc: Bmc, data: bytes, name: str) -> bytes:
    """Up to 16 bytes of string ``name`` at the asked offset, after its total length."""
    _group(data)
    value = bmc.dcmi_identity.strings[name]
    offset, count = data[1], data[2]
    if count > CHUNK:
        raise ParameterOutOfRange(f"{count} bytes asked for (at most {CHUNK} per request)")
    return bytes([GROUP_EXTENSION, len(value)]) + value[offset : offset + count]


def _write(bmc: Bmc, data: bytes, name: str) -> bytes:
    """Write up to 16 bytes of string ``name`` at an offset (a NUL ends it); answer its new total length."""
    _group(data)
    strings, limit = bmc.dcmi_identity.strings, STRING_LIMITS[name]
    offset, count, chunk = data[1], data[2], data[3:]
    if count > CHUNK or count != len(chunk):
        raise InvalidDataField(f"{len(chunk)} bytes given for a count of {count} (at most {CHUNK} per request)")
    if offset + count > limit:
        raise ParameterOutOfRange(f"bytes {offset}..{offset + count - 1} (the string holds {limit})")
    value = strings[name]
    kept = value[:offset].ljust(offset, b"\x00")
    strings[name] = (kept + chunk + value[offset + count :]).split(b"\x00", 1)[0]
    return bytes([GROUP_EXTENSION, len(strings[name])])


@command(netfn=GROUP, cmd=0x06, name="dcmi.get_asset_tag", privilege=Privilege.USER, min_len=3, max_len=3)
def get_asset_tag(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return _read(bmc, data, "asset_tag")


@command(netfn=GROUP, cmd=0x08, name="dcmi.set_asset_tag", privilege=Privilege.OPERATOR, min_len=3, max_len=19)
def set_asset_tag(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return _write(bmc, data, "asset_tag")


@command(netfn=GROUP, cmd=0x09, name="dcmi.get_mc_id_string", privilege=Privilege.USER, min_len=3, max_len=3)
def get_mc_id_string(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return _read(bmc, data, "mc_id")


@command(netfn=GROUP, cmd=0x0A, name="dcmi.set_mc_id_string", privilege=Privilege.ADMINISTRATOR, min_len=3, max_len=19)
def set_mc_id_string(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    return _write(bmc, data, "mc_id")


def _temperature_sensors(bmc: Bmc, data: bytes) -> list[tuple[int, Sensor]]:
    """(SDR record ID, sensor) of the temperature sensors of the asked entity, by instance, from the start."""
    sensor_type, entity, instance, start = data[1], data[2], data[3], data[4]
    if sensor_type != TEMPERATURE:
        raise InvalidDataField(f"sensor type {sensor_type:#04x} (DCMI knows temperature, 0x01)")
    if entity not in DCMI_ENTITIES and entity not in DCMI_ENTITIES.values():
        valid = ", ".join(f"{e:#04x}" for e in (*DCMI_ENTITIES, *DCMI_ENTITIES.values()))
        raise InvalidDataField(f"entity ID {entity:#04x} (valid: {valid})")
    wanted = DCMI_ENTITIES.get(entity, entity)
    found = [
        (record_id, sensor)
        for record_id, sensor in enumerate(bmc.sensors, start=1)  # SDR record IDs follow the sensor order
        if sensor.sensor_type == TEMPERATURE and sensor.entity_id == wanted and sensor.is_threshold
    ]
    if instance:
        return [(r, s) for r, s in found if s.entity_instance == instance]
    return [(r, s) for r, s in found if s.entity_instance >= max(start, 1)]


@command(netfn=GROUP, cmd=0x07, name="dcmi.get_sensor_info", privilege=Privilege.USER, min_len=5, max_len=5)
def get_dcmi_sensor_info(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """Total instances of the entity's temperature sensors and up to 8 of their SDR record IDs."""
    _group(data)
    found = _temperature_sensors(bmc, data)
    answer = bytes([GROUP_EXTENSION, len(found), min(len(found), PER_ANSWER)])
    return answer + b"".join(record_id.to_bytes(2, "little") for record_id, _ in found[:PER_ANSWER])


@command(netfn=GROUP, cmd=0x10, name="dcmi.get_temperature_readings", privilege=Privilege.USER, min_len=5, max_len=5)
def get_temperature_readings(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    """Whole degrees Celsius (bit 7: below zero) and the entity instance of up to 8 sensors."""
    _group(data)
    found = _temperature_sensors(bmc, data)
    pairs = b""
    for _record_id, sensor in found[:PER_ANSWER]:
        reading = sensor.read(bmc.chassis.power_on)
        celsius = round(sensor.linear.to_value(reading.raw)) if reading.available and sensor.linear else 0
        magnitude = min(abs(celsius), 0x7F)
        pairs += bytes([(0x80 if celsius < 0 else 0) | magnitude, sensor.entity_instance])
    return bytes([GROUP_EXTENSION, len(found), min(len(found), PER_ANSWER)]) + pairs
