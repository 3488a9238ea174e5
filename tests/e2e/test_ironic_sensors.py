"""OpenStack Ironic (standalone, unmodified, from PyPI) reads a vrack node's sensor data, as a deployment sending
it to Ceilometer does: ``[sensor_data] send_sensor_data`` makes the conductor collect every node's sensors in a
periodic task and emit them as ``hardware.<driver>.metrics`` notifications; with no message bus,
``[oslo_messaging_notifications] driver = log`` writes each into Ironic's log, where the test reads it.

One node per hardware type: ``ipmi`` (Ironic runs ``ipmitool sdr -v``) and ``redfish`` (sushy reads the Chassis with
``$expand=.($levels=1)``, Thermal and Power inline, and the Storage drives).  Every reading Ironic reports must be
what vrack's API says the BMC's sensors read (one of them pinned to a value no model has), and vrack's journal
must show the sensor requests by Ironic's user.

Rack on 127.66.43.0/24 (a ``vrack up`` child process, UDP 623 and TCP 443), Ironic's API on 127.66.43.200.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.ironic_standalone import Ironic, wait_until
from vrack.testing import start_rack

pytestmark = pytest.mark.e2e

SPEC = textwrap.dedent(
    """\
    rack: ironic-sensors
    seed: ironic-sensors-seed
    networks: {management: 127.66.43.0/24}
    devices:
      - {name: node01, kind: compute, model: quanta-d51, bmc: {boot_time: 0, users: [{name: ironic, password: ir-pw}]}}
      - {name: node02, kind: compute, model: dell-r630, bmc: {boot_time: 0, users: [{name: ironic, password: ir-pw}]}}
    """
)
SENSOR_DATA = """\
[sensor_data]
send_sensor_data = true
interval = 2
enable_for_undeployed_nodes = true
enable_for_conductor = false
[oslo_messaging_notifications]
driver = log
"""
SYSTEM = "/redfish/v1/Systems/System.Embedded.1"
CHASSIS = "/redfish/v1/Chassis/System.Embedded.1"
THRESHOLD_TYPES = {1: "temperature", 2: "voltage", 3: "current", 4: "fan", 8: "power"}


def latest_payload(ironic: Ironic, driver: str, uuid: str, check: Any) -> dict[str, Any] | None:
    """The newest ``hardware.<driver>.metrics`` payload for the node, if ``check`` accepts it."""
    sent = [n["payload"] for n in ironic.notifications(f"hardware.{driver}.metrics")]
    mine = [m["payload"] for m in sent if m["node_uuid"] == uuid]
    return mine[-1] if mine and check(mine[-1]) else None


def ipmi_readings(payload: dict[str, Any]) -> dict[str, str]:
    """Sensor name -> ``Sensor Reading`` as ipmitool printed it, over every type Ironic grouped them in."""
    return {
        sensor["Sensor ID"].rsplit(" (0x", 1)[0]: sensor["Sensor Reading"]
        for group in payload.values()
        for sensor in group.values()
    }


def check_ipmi_payload(payload: dict[str, Any], sensors: list[dict[str, Any]]) -> None:
    readings = ipmi_readings(payload)
    assert set(readings) == {s["name"] for s in sensors}, (sorted(readings), [s["name"] for s in sensors])
    for sensor in sensors:
        if sensor["sensor_type"] in THRESHOLD_TYPES and sensor["available"]:
            shown = float(readings[sensor["name"]].split()[0])
            assert math.isclose(shown, sensor["value"], abs_tol=0.01), (sensor, readings[sensor["name"]])
    assert readings["Temp_CPU0"].startswith("67 ")


def check_redfish_payload(payload: dict[str, Any], sensors: list[dict[str, Any]], node: dict[str, Any]) -> None:
    assert payload["Extra"]["UUID"] == node["uuid"] and payload["Extra"]["Model"] == "PowerEdge R630"
    temps = {t["sensor_number"]: t for t in payload["Temperature"].values()}
    wanted = {s["number"]: s["value"] for s in sensors if s["sensor_type"] == 1}
    assert {n: t["reading_celsius"] for n, t in temps.items()} == wanted
    assert temps[14]["reading_celsius"] == 68.0 and temps[14]["physical_context"] == "CPU"
    assert all(t["state"] == "Enabled" and t["health"] == "OK" for t in temps.values())
    fans = sorted(payload["Fan"].values(), key=lambda f: int(f["identity"]))
    assert [f["reading"] for f in fans] == [s["value"] for s in sensors if s["sensor_type"] == 4]
    assert {(f["reading_units"], f["physical_context"]) for f in fans} == {("RPM", "Fan")}
    supplies = [p["last_power_output_watts"] for p in payload["Power"].values()]
    assert supplies == [s["value"] for s in sensors if s["sensor_type"] == 8]
    drives = {d["name"]: d["capacity_bytes"] for d in payload["Drive"].values()}
    assert drives == {"Disk.0": 300_000_000_000, "Disk.1": 300_000_000_000}


def test_ironic_reads_sensor_data_over_ipmi_and_redfish(tmp_path: Path) -> None:
    rack = start_rack(SPEC, mode="process", ports="standard")
    ironic = None
    try:
        for name, sensor, value in (("node01", "Temp_CPU0", 67.0), ("node02", "CPU1 Temp", 68.0)):
            assert rack.node(name).power("on") == "on"
            assert rack.node(name).set_sensor(sensor, value)["value"] == value
        ironic = Ironic(tmp_path, "127.66.43.200", extra_config=SENSOR_DATA)
        ipmi_bmc, redfish_bmc = rack.node("node01").bmc, rack.node("node02").bmc
        assert redfish_bmc.redfish_ca is not None
        mark = rack.journal.mark()
        ipmi_info = {
            "ipmi_address": ipmi_bmc.address,
            "ipmi_port": ipmi_bmc.port,
            "ipmi_username": "ironic",
            "ipmi_password": "ir-pw",
        }
        redfish_info = {
            "redfish_address": redfish_bmc.redfish_url,
            "redfish_system_id": SYSTEM,
            "redfish_username": "ironic",
            "redfish_password": "ir-pw",
            "redfish_verify_ca": redfish_bmc.redfish_ca,
        }
        uuids = {}
        for name, driver, info in (("node01", "ipmi", ipmi_info), ("node02", "redfish", redfish_info)):
            created = ironic.call("POST", "/nodes", {"name": name, "driver": driver, "driver_info": info})
            assert created.status_code == 201, created.text
            uuids[name] = created.json()["uuid"]

        def pinned_ipmi(payload: dict[str, Any]) -> bool:
            return ipmi_readings(payload).get("Temp_CPU0", "").startswith("67 ")

        def pinned_redfish(payload: dict[str, Any]) -> bool:
            return any(t.get("reading_celsius") == 68.0 for t in payload.get("Temperature", {}).values())

        ipmi_payload = wait_until(lambda: latest_payload(ironic, "ipmi", uuids["node01"], pinned_ipmi), "ipmi metrics")
        check_ipmi_payload(ipmi_payload, rack.node("node01").sensors())
        redfish_payload = wait_until(
            lambda: latest_payload(ironic, "redfish", uuids["node02"], pinned_redfish), "redfish metrics"
        )
        check_redfish_payload(redfish_payload, rack.node("node02").sensors(), {"uuid": rack.node("node02").uuid})

        sdr = rack.journal.wait_for(device="node01", protocol="ipmi", operation="storage.get_sdr", since=mark)
        read = rack.journal.wait_for(device="node01", protocol="ipmi", operation="sensor.get_reading", since=mark)
        assert sdr["user"] == read["user"] == "ironic"
        chassis = rack.journal.wait_for(device="node02", protocol="redfish", operation="chassis", since=mark)
        seen = (chassis["method"], chassis["path"], chassis["user"], chassis["status"])
        assert seen == ("GET", CHASSIS, "ironic", 200)
        assert chassis["expanded"] == [f"{CHASSIS}/Thermal", f"{CHASSIS}/Power"]
        rack.journal.wait_for(device="node02", protocol="redfish", operation="drive", user="ironic", since=mark)
        assert not [e for e in rack.journal.events(since=0) if "ir-pw" in str(e)]
    finally:
        if ironic is not None:
            ironic.stop()
        rack.stop()
