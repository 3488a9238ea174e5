"""Group discovery: nodes PXE boot through RackHD's DHCP proxy, TFTP and task service, and get discovered.

Needs a netns rack whose provisioning network reaches RackHD (``rack_specs/rackhd-netns.yaml``: a DHCP
server on the uplink side, RackHD's on-dhcp-proxy, on-tftp and on-taskgraph there).  Every node is powered
on from the rack; RackHD must create it from its MAC, run its discovery graph to success, catalog what the
spec says the hardware is (dmi serial and UUID, the BMC's MAC), and create the IPMI OBM from the node's own
BMC (a user RackHD made on it).  Then the switch is discovered and every cabled node must get a
``connectsTo`` relation to it (RackHD builds these in on-tasks ``lib/jobs/switch-node-relations.js`` from the
node's ``lldp`` catalog).  Last, one of the cables of a node cabled twice is pulled and a rediscovery must
catalog the node without it (a node's only cable will not do: see :data:`rackhd_suite.refresh.LLDP_NO_DATA`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rackhd_suite.case import RackHDTestCase
from rackhd_suite.refresh import REFRESH, rediscovery_cable, refresh_options
from rackhd_suite.session import GraphRun
from rackhd_suite.tools import ipmitool
from rackhd_suite.waiting import WaitTimeout, wait_until
from vrack.testing import NodeHandle


class Discovery(RackHDTestCase):
    group = "discovery"
    node_ids: ClassVar[dict[str, str]]
    runs: ClassVar[dict[str, GraphRun]]

    @classmethod
    def prepare(cls) -> None:
        if cls.rack.plan.spec.mode != "netns":
            raise AssertionError(
                f"group discovery needs a netns rack (rack_specs/rackhd-netns.yaml); {cls.rack.spec_path} is a "
                "loopback rack, whose nodes cannot PXE boot"
            )
        graph = str(cls.session.rackhd_config.get("discoveryGraph") or "Graph.SKU.Discovery")
        cls.node_ids, cls.runs = {}, {}
        nodes = cls.rack.nodes()
        since = cls.rack.journal.mark()
        for node in nodes:
            if node.power_state() == "on":
                node.power("off")
            node.power("on")
        for node in nodes:
            cls.node_ids[node.name] = cls._known(node)
            cls.runs[node.name] = cls.session.find_graph(node.name, cls.node_ids[node.name], graph, since=since)

    @classmethod
    def _known(cls, node: NodeHandle) -> str:
        """The id of the node RackHD creates from one of ``node``'s MACs (waits up to ``graph_timeout``)."""

        def created() -> str | None:
            for mac in node.nic_macs:
                record = cls.rackhd.node_by_identifier(mac)
                if record is not None:
                    return str(record["id"])
            return None

        return wait_until(created, cls.session.config.graph_timeout, f"RackHD to create a node for {node.name}")

    def _catalog(self, name: str, source: str) -> dict[str, Any]:
        data: dict[str, Any] = self.rackhd.catalog(self.node_ids[name], source).get("data") or {}
        return data

    def _settle(self, name: str) -> None:
        """Wait until RackHD runs no workflow on ``name`` any more.

        RackHD reports a graph finished as soon as a task that ends it succeeds while the others are pending,
        and a running task still counts as pending (on-core lib/workflow/stores/mongo.js, checkGraphSucceeded):
        Graph.SKU.Discovery "succeeds" while its nested Graph.Set.Bmc.Credentials (which makes the OBM) still
        runs, and Graph.Switch.Discovery while switch-node-relations still writes the relations.
        """
        node_id = self.node_ids[name]
        wait_until(
            lambda: not self.rackhd.active_workflows(node_id),
            self.session.config.graph_timeout,
            f"RackHD to finish the workflows it still runs on {name}",
            seen=lambda: [w.get("injectableName") for w in self.rackhd.active_workflows(node_id)],
        )

    def test_1_discovery_graphs_succeed(self) -> None:
        for name, run in self.runs.items():
            with self.subTest(node=name):
                self.assertGraphSucceeded(self.session.finish(run))

    def test_2_catalogs_are_the_spec_hardware(self) -> None:
        for node in self.rack.nodes():
            with self.subTest(node=node.name):
                system = self._catalog(node.name, "dmi").get("System Information") or {}
                self.assertEqual(system.get("Serial Number"), node.serial, "dmi serial vs the rack's")
                self.assertEqual(str(system.get("UUID", "")).lower(), node.uuid.lower(), "dmi UUID vs the rack's")
                bmc = self._catalog(node.name, "bmc")
                self.assertEqual(str(bmc.get("MAC Address", "")).lower(), node.bmc.mac.lower(), "bmc catalog MAC")
                self.assertTrue(self._catalog(node.name, "ipmi-fru"), "no ipmi-fru catalog")

    def test_3_obm_made_from_the_nodes_own_bmc(self) -> None:
        for node in self.rack.nodes():
            with self.subTest(node=node.name):
                self._settle(node.name)
                obms = [o for o in self.rackhd.obms(self.node_ids[node.name]) if o.get("service") == "ipmi-obm-service"]
                self.assertEqual(len(obms), 1, f"{node.name}'s OBMs: {obms}")
                config = obms[0].get("config") or {}
                self.assertIn(str(config.get("host", "")).lower(), (node.bmc.mac.lower(), node.bmc.address))
                users = [u.name for u in node.bmc.users]
                self.assertIn(config.get("user"), users, f"RackHD's OBM user is not a user of {node.name}'s BMC")

    def test_4_switch_relations_follow_the_cabling(self) -> None:
        cabled: dict[tuple[str, str], list[int]] = {}
        for cable in self.rack.plan.cables:
            cabled.setdefault((cable.node, cable.switch), []).append(cable.port)
        switches = sorted({switch for _node, switch in cabled})
        switch_ids = {}
        for switch in switches:
            switch_ids[switch] = self.session.register_snmp(switch, "switch", auto_discover=True)
            run = self.session.find_graph(switch, switch_ids[switch], "Graph.Switch.Discovery")
            self.assertGraphSucceeded(self.session.finish(run))
        for (name, switch), ports in sorted(cabled.items()):
            with self.subTest(node=name, switch=switch):
                relations: list[dict[str, Any]] = []
                # RackHD writes the relations after it reports the switch graph finished (see _settle): wait.
                probe = partial(self._connections, self.node_ids[name], switch_ids[switch], relations)
                try:
                    linked = wait_until(probe, self.session.config.graph_timeout, f"{name}'s connectsTo {switch}")
                except WaitTimeout:
                    lldp = {
                        port: (v.get("chassis") or {}).get("mac")
                        for port, v in self._catalog(name, "lldp").items()
                        if isinstance(v, dict)
                    }
                    self.fail(
                        f"RackHD made no connectsTo relation from {name} to {switch} within "
                        f"{self.session.config.graph_timeout:g} s, though {name} is cabled to "
                        f"{switch} port(s) {ports}{' (more than one cable)' if len(ports) > 1 else ''}; its lldp "
                        f"catalog names chassis MACs {lldp}; relations: {relations}. RackHD builds these in on-tasks "
                        "lib/jobs/switch-node-relations.js"
                    )
                info = linked[0].get("info") or {}
                self.assertEqual(len(info), len(ports), f"{name}: ports in the relation {info} vs cables {ports}")

    def _reach_bmc(self, name: str) -> None:
        """Talk to ``name``'s BMC from RackHD's host, as RackHD's own FIT setup does (an ``arp`` scan).

        RackHD stores the OBM it makes from the node's BMC with the BMC's MAC as host and resolves it through
        the host's ARP table at each OBM call (on-core lib/services/lookup.js, macAddressToIp ->
        validateArpCache).  A BMC with a static address that RackHD's host never reached has no ARP entry, and
        the OBM call fails "Lookup Record Not Found (macAddressToIp)".
        """
        node = self.rack.node(name)
        user, password = self.session.admin_user(node)
        result = ipmitool(node.bmc.address, node.bmc.port, user, password, "chassis power status")
        self.assertEqual(result.code, 0, f"{name}'s BMC does not answer RackHD's host: {result.explain()}")

    def _connections(self, node_id: str, switch_id: str, relations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The node's ``connectsTo`` relations to the switch (``relations`` gets all of the node's)."""
        relations[:] = self.rackhd.relations(node_id)
        return [r for r in relations if r.get("relationType") == "connectsTo" and switch_id in (r.get("targets") or [])]

    def test_5_rediscovery_after_a_cable_is_pulled(self) -> None:
        cable = rediscovery_cable(self.rack.plan.cables)
        self._settle(cable.node)
        self._reach_bmc(cable.node)
        switch = self.rack.switch(cable.switch)
        node_id = self.node_ids[cable.node]
        before = sorted(self._catalog(cable.node, "lldp"))
        switch.cable(cable.port, plugged=False)
        try:
            # As RackHD's FIT does: untargeted (POST /workflows), since its discovery-refresh-graph task runs
            # Graph.Discovery on the node, which a refresh graph holding the node's lock would refuse
            # ("Unable to run multiple task graphs against a single target").
            run = self.session.start_graph(cable.node, node_id, REFRESH, refresh_options(node_id), targeted=False)
            self.assertGraphSucceeded(self.session.finish(run))
            after = sorted(self._catalog(cable.node, "lldp"))
            self.assertEqual(
                len(after),
                len(before) - 1,
                f"lldp neighbours of {cable.node} after pulling {cable.switch}/{cable.port} (nic{cable.nic}): "
                f"heard on {after}, before on {before}",
            )
            self.assertTrue(set(after) < set(before), f"{cable.node} heard on {after} after the pull, {before} before")
        finally:
            switch.cable(cable.port, plugged=True)
