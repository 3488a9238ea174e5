"""What the test kit adds to the rack's HTTP server, under ``/testkit/v1`` (a ``vrack.web`` mount):

========  ==========================================  ===========================================
GET       /nodes/NAME/credentials                      the BMC's live users with their passwords
GET       /nodes/NAME/sel                              the SEL, decoded
POST      /nodes/NAME/sel  {"sensor_type", ...}        log a system event (as the BMC would)
GET       /nodes/NAME/sensors                          every sensor's current reading
POST      /nodes/NAME/sensors/SENSOR  {"value": x}     hold a sensor at value x (``null``: release)
========  ==========================================  ===========================================

The control API is the rack owner's (it listens on loopback only); passwords leave it here because
a test must log in with them, and they never reach the journal or a log.  SEL additions and sensor
changes are journalled (protocol ``control``).  Errors are the control API's JSON shape.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from twisted.web import resource
from twisted.web.http import Request

from bmc_sim.sel import SelEvent

PREFIX = ["v1", "nodes"]


class TestkitError(Exception):
    def __init__(self, status: int, message: str, parameter: str, valid: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": message, "parameter": parameter}
        if valid is not None:
            self.body["valid"] = valid


class TestkitResource(resource.Resource):
    """``/testkit/v1/nodes/...`` on the running rack (see the module docstring)."""

    isLeaf = True

    def __init__(self, control: Any) -> None:
        super().__init__()
        self.control = control

    def render(self, request: Request) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        parts = [p.decode() for p in getattr(request, "postpath", []) if p]
        try:
            result = self._route(request.method.decode(), parts, request)
        except TestkitError as exc:
            request.setResponseCode(exc.status)
            return json.dumps(exc.body).encode()
        return json.dumps(result).encode()

    def _node(self, name: str) -> Any:
        devices = self.control.rack.devices
        device = devices.get(name)
        if device is None or device.kind != "compute":
            nodes = sorted(n for n, d in devices.items() if d.kind == "compute")
            raise TestkitError(404, f"no compute node named {name!r}", "name", nodes)
        return device

    def _route(self, method: str, parts: list[str], request: Request) -> Any:
        if parts[:2] != PREFIX or len(parts) < 4:
            raise TestkitError(404, "unknown route; see /testkit/v1/nodes/NAME/{credentials,sel,sensors}", "path")
        node = self._node(parts[2])
        match (method, parts[3:]):
            case ("GET", ["credentials"]):
                return credentials(node)
            case ("GET", ["sel"]):
                return sel_entries(node)
            case ("POST", ["sel"]):
                return add_sel(node, _body(request))
            case ("GET", ["sensors"]):
                return sensors(node)
            case ("POST", ["sensors", name]):
                return set_sensor(node, name, _body(request))
        raise TestkitError(404, f"unknown route {method} /testkit/{'/'.join(parts)}", "path")


def _body(request: Request) -> dict[str, Any]:
    raw = request.content.read() if request.content is not None else b""
    try:
        data = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise TestkitError(400, f"request body is not JSON: {exc}", "body") from None
    if not isinstance(data, dict):
        raise TestkitError(400, "request body must be a JSON object", "body")
    return data


def credentials(node: Any) -> list[dict[str, Any]]:
    channel = node.config.channel
    return [
        {
            "id": user.user_id,
            "name": user.name.decode(errors="replace"),
            "password": user.password.decode(errors="replace"),
            "privilege": user.privilege_limit(channel).name.lower(),
            "enabled": user.enabled,
        }
        for user in node.bmc.users
        if user.name
    ]


def sel_entries(node: Any) -> list[dict[str, Any]]:
    sel = node.bmc.sel
    entries = []
    for record_id in sel.ids():
        _, record = sel.entry(record_id)
        entry: dict[str, Any] = {"id": record_id, "record_type": record[2], "raw": record.hex()}
        if record[2] == 0x02:  # system event record
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


def _int_field(body: dict[str, Any], key: str, default: int | None = None, top: int = 0xFF) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise TestkitError(400, f"{key} must be an integer 0..{top} (got {value!r})", key)
    return value


def add_sel(node: Any, body: dict[str, Any]) -> dict[str, Any]:
    event = SelEvent(
        sensor_type=_int_field(body, "sensor_type"),
        sensor_number=_int_field(body, "sensor_number"),
        offset=_int_field(body, "offset", 0, 0x0F),
        asserted=bool(body.get("asserted", True)),
        event_type=_int_field(body, "event_type", 0x6F, 0x7F),
        data2=_int_field(body, "data2", 0xFF),
        data3=_int_field(body, "data3", 0xFF),
    )
    record_id = node.bmc.sel.log(event)
    if record_id is None:
        raise TestkitError(409, f"{node.device_name}: the SEL is full or logging is off", "sel")
    node.journal.append(
        node.device_name, "control", "sel-add", record_id=record_id, sensor_type=event.sensor_type, cause="test kit"
    )
    return {"id": record_id}


def _reading(sensor: Any, host_on: bool) -> dict[str, Any]:
    reading = sensor.read(host_on)
    info: dict[str, Any] = {
        "number": sensor.number,
        "name": sensor.name,
        "sensor_type": sensor.sensor_type,
        "available": reading.available,
    }
    if sensor.linear is not None:
        info["value"] = round(sensor.linear.to_value(reading.raw), 3) if reading.available else None
        info["threshold_bits"] = reading.threshold_bits
    else:
        info["states"] = reading.states
    return info


def sensors(node: Any) -> list[dict[str, Any]]:
    host_on = node.host_powered
    return [_reading(sensor, host_on) for sensor in node.bmc.sensors]


def set_sensor(node: Any, name: str, body: dict[str, Any]) -> dict[str, Any]:
    found = [s for s in node.bmc.sensors if s.name == name]
    if not found:
        raise TestkitError(
            404, f"{node.device_name} has no sensor {name!r}", "sensor", [s.name for s in node.bmc.sensors]
        )
    sensor = found[0]
    value = body.get("value")
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise TestkitError(400, f"value must be a number or null (got {value!r})", "value")
    original = getattr(sensor, "_testkit_original", None) or sensor._value
    sensor._testkit_original = original
    sensor._value = original if value is None else (lambda _host_on, held=float(value): held)
    node.journal.append(node.device_name, "control", "sensor-set", sensor=name, value=value, cause="test kit")
    return _reading(sensor, node.host_powered)


def mount(control: Any) -> dict[str, resource.Resource]:
    """The ``vrack.web`` entry point: serve the test kit's routes under ``/testkit``."""
    return {"testkit": TestkitResource(control)}
