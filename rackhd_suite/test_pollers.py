"""Group pollers: RackHD's IPMI and SNMP pollers return current data for every node, switch and PDU.

RackHD creates a node's six IPMI pollers only inside its discovery graph (rackhd-facts §1.5, §9), so this
group creates them with ``POST /api/2.0/pollers`` (a short interval) after giving each node its IPMI OBM.
The switch gets an ``snmp-interface-state`` metric poller and the PDU a numeric-OID poller on its outlet
states (RackHD reads PDU power data only from Sinetica PDUs).  "Current" means: after the rack changes
(a node powered on, an outlet switched), the poller's ``data/current`` comes to show the change within
``[suite] poller_timeout``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rackhd_suite.case import RackHDTestCase
from rackhd_suite.waiting import wait_until

IPMI_COMMANDS = ("sdr", "selInformation", "sel", "selEntries", "chassis", "driveHealth")
INTERVAL_MS = 10_000
OUTLET_STATE = "1.3.6.1.4.1.1718.3.2.3.1.10.1.1"  # Sentry3 outletControlState.1.1.<n>


def latest(data: list[dict[str, Any]] | None, key: str) -> Any:
    """The ``key`` part of the newest entry of a poller's ``data/current``."""
    if not data:
        return None
    return data[-1].get(key)


SENSOR_NUMBER = re.compile(r"\s*\(0x[0-9a-fA-F]+\)$")


def sdr_sensor_name(sensor_id: str) -> str:
    """The sensor's name in an ``sdr`` poller entry.

    RackHD 2.60.7 keeps ipmitool's whole ``Sensor ID`` value, sensor number included
    (``"Temp_CPU0 (0x1)"``; on-tasks lib/utils/job-utils/ipmi-parser.js, parseSdrData).
    """
    return SENSOR_NUMBER.sub("", sensor_id)


class Pollers(RackHDTestCase):
    group = "pollers"
    node_ids: ClassVar[dict[str, str]]
    pollers: ClassVar[dict[tuple[str, str], str]]  # (device, command or metric) -> poller id

    @classmethod
    def prepare(cls) -> None:
        cls.node_ids, cls.pollers = {}, {}
        for node in cls.rack.nodes():
            node_id = cls.session.register_compute(node)
            cls.node_ids[node.name] = node_id
            for command in IPMI_COMMANDS:
                created = cls.rackhd.create_poller(node_id, "ipmi", {"command": command}, INTERVAL_MS)
                cls.pollers[(node.name, command)] = created["id"]
        for device in cls.rack.devices():
            if device["kind"] not in ("switch", "pdu"):
                continue
            node_id = cls.session.register_snmp(device["name"], device["kind"], auto_discover=False)
            cls.node_ids[device["name"]] = node_id
            if device["kind"] == "switch":
                config: dict[str, Any] = {"metric": "snmp-interface-state"}
                key = "snmp-interface-state"
            else:
                config, key = {"oids": [OUTLET_STATE]}, "outlets"
            cls.pollers[(device["name"], key)] = cls.rackhd.create_poller(node_id, "snmp", config, INTERVAL_MS)["id"]

    def _wait(self, device: str, key: str, ok: Any, what: str) -> Any:
        poller = self.pollers[(device, key)]
        last: list[Any] = [None]

        def probe() -> Any:
            last[0] = self.rackhd.poller_current(poller)
            return last[0] if last[0] and ok(last[0]) else None

        return wait_until(
            probe,
            self.session.config.poller_timeout,
            f"{device}'s {key} poller {poller} {what}",
            seen=lambda: str(last[0])[:400],
        )

    def test_1_every_node_has_the_six_ipmi_pollers(self) -> None:
        for node in self.rack.nodes():
            with self.subTest(node=node.name):
                found = {p.get("config", {}).get("command") for p in self.rackhd.node_pollers(self.node_ids[node.name])}
                self.assertTrue(set(IPMI_COMMANDS) <= found, f"{node.name}'s pollers: {sorted(map(str, found))}")

    def test_2_ipmi_pollers_return_data(self) -> None:
        for node in self.rack.nodes():
            for command in IPMI_COMMANDS:
                with self.subTest(node=node.name, command=command):
                    self._wait(node.name, command, lambda d, c=command: latest(d, c) is not None, "to return data")

    def test_3_chassis_poller_follows_the_power(self) -> None:
        """Power every node on from the rack's side; the chassis poller comes to say power: true."""
        for node in self.rack.nodes():
            if node.power_state() == "off":
                node.power("on")
        for node in self.rack.nodes():
            with self.subTest(node=node.name):
                self._wait(
                    node.name,
                    "chassis",
                    lambda d: (latest(d, "chassis") or {}).get("power") is True,
                    "to report power on",
                )

    def test_4_sdr_poller_names_the_rack_sensors(self) -> None:
        for node in self.rack.nodes():
            with self.subTest(node=node.name):
                data = self._wait(node.name, "sdr", lambda d: latest(d, "sdr"), "to return sensors")
                names = {sdr_sensor_name(str(s.get("sensorId", ""))) for s in latest(data, "sdr")}
                expected = {s["name"] for s in node.sensors() if s.get("available")}
                self.assertTrue(expected <= names, f"sensors missing from RackHD's sdr data: {expected - names}")

    def test_5_sel_information_counts_the_rack_sel(self) -> None:
        for node in self.rack.nodes():
            with self.subTest(node=node.name):
                count = len(node.sel())
                self._wait(
                    node.name,
                    "selInformation",
                    lambda d, n=count: str((latest(d, "selInformation") or {}).get("Entries")) == str(n),
                    f"to count {count} SEL entries",
                )

    def test_6_switch_interface_state(self) -> None:
        """snmp-interface-state: every port the rack has is listed with its state."""
        for device in self.rack.devices():
            if device["kind"] != "switch":
                continue
            with self.subTest(switch=device["name"]):
                data = self._wait(
                    device["name"], "snmp-interface-state", lambda d: latest(d, "result"), "to return interface states"
                )
                result = latest(data, "result")
                ports = {
                    p["name"]: ("up" if p["oper_up"] else "down")
                    for p in self.rack.switch(device["name"]).describe()["ports"]
                }
                missing = [name for name in ports if name not in result]
                self.assertEqual(missing, [], f"interfaces RackHD did not report for {device['name']}")
                wrong = {n: (result[n].get("state"), s) for n, s in ports.items() if result[n].get("state") != s}
                self.assertEqual(wrong, {}, "interface state as RackHD saw it vs the rack (RackHD, rack)")

    def test_7_pdu_outlet_poller_returns_data(self) -> None:
        """The PDU's numeric-OID poller (its outlet control states) returns data."""
        for device in self.rack.devices():
            if device["kind"] == "pdu":
                with self.subTest(pdu=device["name"]):
                    data = self._wait(device["name"], "outlets", lambda d: d, "to return data")
                    self.assertIn("1.3.6.1.4.1.1718", str(data), "no Sentry3 outlet OID in the PDU poller's data")
