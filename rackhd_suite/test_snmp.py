"""Group snmp: switch and PDU discovery graphs, their catalogs against the rack, and a PDU outlet OBM.

Switches and PDUs are created as RackHD wants them (``POST /api/2.0/nodes`` with ``snmp-ibm-service`` in
``ibms`` and ``autoDiscover: true``), which starts Graph.Switch.Discovery / Graph.PDU.Discovery; each must
succeed and leave an ``snmp-1`` catalog (the walk of the whole tree) that names every port / outlet the spec
gives the device.  Then a compute node fed by a single outlet gets a ``servertech-obm-service`` OBM and
Graph.PowerOff.Node must really cut it: the outlet goes off, the node loses AC and its BMC goes dark;
Graph.PowerOn.Node brings it back.  (Switch/compute relations need discovered nodes: group discovery.)
"""

from __future__ import annotations

from typing import Any, ClassVar

from rackhd_suite.case import RackHDTestCase
from rackhd_suite.session import GraphRun
from rackhd_suite.waiting import wait_until

DISCOVERY = {"switch": "Graph.Switch.Discovery", "pdu": "Graph.PDU.Discovery"}


class Snmp(RackHDTestCase):
    group = "snmp"
    node_ids: ClassVar[dict[str, str]]
    runs: ClassVar[dict[str, GraphRun]]

    @classmethod
    def prepare(cls) -> None:
        cls.node_ids, cls.runs = {}, {}
        for device in cls.rack.devices():
            if device["kind"] in DISCOVERY:
                node_id = cls.session.register_snmp(device["name"], device["kind"], auto_discover=True)
                cls.node_ids[device["name"]] = node_id
                cls.runs[device["name"]] = cls.session.find_graph(device["name"], node_id, DISCOVERY[device["kind"]])

    def _snmp_devices(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.rack.devices() if d["kind"] == kind]

    def test_1_discovery_graphs_succeed(self) -> None:
        self.assertTrue(self.runs, "the rack has no switch or PDU")
        for name, run in self.runs.items():
            with self.subTest(device=name):
                self.assertGraphSucceeded(self.session.finish(run))

    def _catalog_values(self, name: str) -> list[str]:
        catalog = self.rackhd.catalog(self.node_ids[name], "snmp-1")
        data = catalog.get("data") or {}
        self.assertTrue(data, f"{name}'s snmp-1 catalog is empty")
        return [str(v) for v in data.values()]

    def test_2_switch_catalog_names_every_port(self) -> None:
        for device in self._snmp_devices("switch"):
            with self.subTest(switch=device["name"]):
                values = set(self._catalog_values(device["name"]))
                missing = [p["name"] for p in device["ports"] if p["name"] not in values]
                self.assertEqual(missing, [], f"ports of {device['name']} missing from RackHD's snmp-1 catalog")

    def test_3_pdu_catalog_names_every_outlet(self) -> None:
        for device in self._snmp_devices("pdu"):
            with self.subTest(pdu=device["name"]):
                values = set(self._catalog_values(device["name"]))
                missing = [o["name"] for o in device["outlets"] if o["name"] not in values]
                self.assertEqual(missing, [], f"outlets of {device['name']} missing from RackHD's snmp-1 catalog")

    def test_4_pdu_outlet_obm_cuts_a_node(self) -> None:
        """servertech-obm-service: Graph.PowerOff.Node switches the outlet off and the node's BMC goes dark."""
        feeds: dict[str, list[Any]] = {}
        for feed in self.rack.plan.feeds:
            feeds.setdefault(feed.node, []).append(feed)
        single = [(node, f[0]) for node, f in feeds.items() if len(f) == 1]
        self.assertTrue(single, "no node in the rack is fed by a single PDU outlet")
        name, feed = single[0]
        node = self.rack.node(name)
        _proto, pdu_host, _port = self.rack.endpoints()[feed.pdu]
        record = self.rackhd.create_node({"name": f"{name}-pdu", "type": "compute", "identifiers": [f"{name}-pdu"]})
        node_id = str(record["id"])
        self.node_ids[f"{name}-pdu"] = node_id
        body = {
            "nodeId": node_id,
            "service": "servertech-obm-service",
            "config": {"host": pdu_host, "community": self.session.snmp_community(feed.pdu), "port": feed.outlet},
        }
        self.rackhd.call("PUT", f"/nodes/{node_id}/obm", expect=(200, 201), json=body)
        mark = self.rack.journal.mark()
        run = self.session.finish(self.session.start_graph(name, node_id, "Graph.PowerOff.Node"))
        self.assertGraphSucceeded(run)
        self.rack.journal.assert_order(
            [
                {"device": feed.pdu, "operation": "outlet", "outlet": feed.outlet, "on": False},
                {"device": name, "operation": "ac-power", "on": False},
            ],
            since=mark,
            timeout=10,
        )
        self.assertFalse(node.describe()["bmc"]["responsive"], f"{name}'s BMC still answers with its outlet off")
        run = self.session.finish(self.session.start_graph(name, node_id, "Graph.PowerOn.Node"))
        self.assertGraphSucceeded(run)
        wait_until(lambda: node.describe()["bmc"]["responsive"], 60, f"{name}'s BMC to answer again")
