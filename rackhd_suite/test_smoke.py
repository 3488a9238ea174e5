"""Group smoke: RackHD's API and services answer, its configuration is sane, every rack device is reachable."""

from __future__ import annotations

from rackhd_suite.case import RackHDTestCase
from rackhd_suite.tools import ipmitool, snmpget
from vrack.testing import PduHandle, SwitchHandle

# Graphs the other groups run (on-taskgraph lib/graphs; rackhd-facts §3.10).
GRAPHS_USED = (
    "Graph.PowerOn.Node",
    "Graph.PowerOff.Node",
    "Graph.Reboot.Node",
    "Graph.Switch.Discovery",
    "Graph.PDU.Discovery",
    "Graph.SKU.Discovery",
)
SYS_DESCR = "1.3.6.1.2.1.1.1.0"


class Smoke(RackHDTestCase):
    group = "smoke"
    clear_before = False

    def test_1_api_answers(self) -> None:
        """The northbound API lists nodes, graphs, tasks, pollers and OBM definitions."""
        for path in ("/nodes", "/workflows/graphs", "/workflows/tasks", "/pollers", "/obms/definitions"):
            with self.subTest(path=path):
                self.assertIsInstance(self.rackhd.get(path), list, f"GET /api/2.0{path} is not a list")

    def test_2_graphs_the_suite_runs_exist(self) -> None:
        names = {g.get("injectableName") for g in self.rackhd.get("/workflows/graphs")}
        missing = [g for g in GRAPHS_USED if g not in names]
        self.assertEqual(missing, [], f"RackHD does not define the graphs {missing}")

    def test_3_config_is_sane(self) -> None:
        """The southbound endpoint nodes are sent to is set, and the IPMI OBM service is defined."""
        config = self.session.rackhd_config
        self.assertTrue(config.get("apiServerPort") or config.get("taskGraphEndpoint"), "no apiServerPort in /config")
        # RackHD 2.60 lists the definitions as paths (".../obms/definitions/ipmi-obm-service.json");
        # older or other servers may give the definition objects themselves.
        services = {
            str(d.get("service")) if isinstance(d, dict) else str(d) for d in self.rackhd.get("/obms/definitions")
        }
        self.assertTrue(
            any("ipmi-obm-service" in str(s) for s in services),
            f"RackHD has no ipmi-obm-service definition: {sorted(map(str, services))}",
        )

    def test_4_every_bmc_answers(self) -> None:
        """Each node's BMC answers ``chassis power status`` with the credentials the suite will give RackHD."""
        for node in self.rack.nodes():
            with self.subTest(node=node.name):
                user, password = self.session.admin_user(node)
                result = ipmitool(node.bmc.address, node.bmc.port, user, password, "chassis power status")
                self.assertEqual(result.code, 0, f"{node.name}'s BMC: {result.explain()}")
                self.assertIn("Chassis Power is", result.stdout)

    def test_5_every_snmp_device_answers(self) -> None:
        for kind, handles in (("pdu", self._pdus()), ("switch", self._switches())):
            for device in handles:
                with self.subTest(device=device.name):
                    community = next((c.name for c in device.communities), "public")
                    result = snmpget(device.address, device.port, community, SYS_DESCR)
                    self.assertEqual(result.code, 0, f"{kind} {device.name}: {result.explain()}")

    def _pdus(self) -> list[PduHandle]:
        return [self.rack.pdu(d["name"]) for d in self.rack.devices() if d["kind"] == "pdu"]

    def _switches(self) -> list[SwitchHandle]:
        return [self.rack.switch(d["name"]) for d in self.rack.devices() if d["kind"] == "switch"]
