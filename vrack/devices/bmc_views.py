"""A BMC's SEL and sensors as JSON for the control API (and through it the test kit and the web view)."""

from __future__ import annotations

import struct
from typing import Any

from bmc_sim.device import Bmc
from bmc_sim.sel import SelEvent
from bmc_sim.sensors import Sensor
from bmc_sim.session_table import SessionTable
from vrack.errors import DeviceStateConflict, InvalidArgument

SYSTEM_EVENT_RECORD = 0x02


def sel_entries(bmc: Bmc) -> list[dict[str, Any]]:
    """Every SEL record, oldest first: id, type and raw bytes; system event records decoded too."""
    entries = []
    for record_id in bmc.sel.ids():
        _, record = bmc.sel.entry(record_id)
        entry: dict[str, Any] = {"id": record_id, "record_type": record[2], "raw": record.hex()}
        if record[2] == SYSTEM_EVENT_RECORD:
            _, _, timestamp, generator, _, sensor_type, number, direction, data1, data2, data3 = struct.unpack(
                "<HBIHBBBBBBB", record
            )
            entry.update(
                timestamp=timestamp,
                generator=generator,
                sensor_type=sensor_type,
                sensor_number=number,
                event_type=direction & 0x7F,
                asserted=not direction & 0x80,
                offset=data1 & 0x0F,
                data2=data2,
                data3=data3,
            )
        entries.append(entry)
    return entries


def _byte(body: dict[str, Any], key: str, default: int | None = None, top: int = 0xFF) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise InvalidArgument(f"{key} must be an integer 0..{top} (got {value!r})", key, [f"0..{top}"])
    return value


def sel_event_from(body: dict[str, Any]) -> SelEvent:
    """A system event from JSON ``{sensor_type, sensor_number, offset, asserted, event_type, data2, data3}``."""
    asserted = body.get("asserted", True)
    if not isinstance(asserted, bool):
        raise InvalidArgument("asserted must be true or false", "asserted", [True, False])
    return SelEvent(
        sensor_type=_byte(body, "sensor_type"),
        sensor_number=_byte(body, "sensor_number"),
        offset=_byte(body, "offset", 0, 0x0F),
        asserted=asserted,
        event_type=_byte(body, "event_type", 0x6F, 0x7F),
        data2=_byte(body, "data2", 0xFF),
        data3=_byte(body, "data3", 0xFF),
    )


def log_sel_event(bmc: Bmc, device: str, event: SelEvent) -> int:
    record_id = bmc.sel.log(event)
    if record_id is None:
        raise DeviceStateConflict(f"{device}: the SEL is full or event logging is off", "sel")
    return record_id


def reading(sensor: Sensor, host_on: bool) -> dict[str, Any]:
    """One sensor's reading now: engineering value and threshold bits, or discrete states."""
    found = sensor.read(host_on)
    info: dict[str, Any] = {
        "number": sensor.number,
        "name": sensor.name,
        "sensor_type": sensor.sensor_type,
        "available": found.available,
    }
    if sensor.linear is not None:
        info["value"] = round(sensor.linear.to_value(found.raw), 3) if found.available else None
        info["threshold_bits"] = found.threshold_bits
        info["forced"] = sensor.override is not None
    else:
        info["states"] = found.states
    return info


def sensor_readings(bmc: Bmc) -> list[dict[str, Any]]:
    host_on = bmc.chassis.power_on
    return [reading(sensor, host_on) for sensor in bmc.sensors]


def bmc_state(bmc: Bmc) -> dict[str, Any]:
    """``state`` (answering, booting, resetting, dark, hung, busy) and ``state_for``: seconds until a timer ends it."""
    state, left = bmc.state()
    return {"state": state, "state_for": None if left is None else round(left, 3)}


def identify(bmc: Bmc) -> dict[str, Any]:
    """The chassis identify LED as ``chassis identify`` left it: off, temporary (``remaining`` seconds) or on."""
    remaining = bmc.chassis.identify_remaining()
    return {"state": bmc.chassis.identify, "remaining": None if remaining is None else round(remaining, 3)}


def sessions(table: SessionTable, now: float) -> list[dict[str, Any]]:
    """The BMC's active sessions: who, from where, at which privilege, idle how long (never keys)."""
    return [
        {
            "handle": s.handle,
            "user": s.user_name,
            "privilege": s.privilege.name.lower(),
            "interface": s.interface,
            "peer": f"{s.peer[0]}:{s.peer[1]}",
            "idle": round(max(0.0, now - s.last_activity), 1),
        }
        for s in table.active()
    ]


SENSOR_TYPES = {0x01: "temperature", 0x02: "voltage", 0x03: "current", 0x04: "fan", 0x08: "power"}


def threshold_status(bits: int) -> str:
    """Health in words from threshold status bits (bit0 LNC, 1 LC, 2 LNR, 3 UNC, 4 UC, 5 UNR)."""
    if bits & 0x24:
        return "non-recoverable"
    if bits & 0x12:
        return "critical"
    return "warning" if bits & 0x09 else "ok"


def sensor_summary(bmc: Bmc) -> list[dict[str, Any]]:
    """Every threshold sensor's reading now, in engineering units, and its status (ok/warning/critical)."""
    host_on = bmc.chassis.power_on
    out = []
    for sensor in bmc.sensors:
        if not sensor.is_threshold or sensor.linear is None:
            continue
        reading = sensor.read(host_on)
        value = round(sensor.linear.to_value(reading.raw), 2) if reading.available else None
        status = threshold_status(reading.threshold_bits)
        out.append({"name": sensor.name, "type": SENSOR_TYPES.get(sensor.sensor_type, "other"), "value": value,
                    "status": status if reading.available else "unavailable"})  # fmt: skip
    return out


def live_users(bmc: Bmc, *, with_passwords: bool = False) -> list[dict[str, Any]]:
    """The BMC's enabled users as they are now (RackHD's credential graph changes them); passwords only if asked."""
    channel = bmc.config.channel
    users = []
    for u in bmc.users:
        if not (u.enabled and u.name):
            continue
        user: dict[str, Any] = {"id": u.user_id, "name": u.name.decode(errors="replace")}
        if with_passwords:
            user["password"] = u.password.rstrip(b"\0").decode(errors="replace")
        user["privilege"] = u.privilege_limit(channel).name.lower()
        users.append(user)
    return users
