"""Group obm: IPMI OBM settings for every node, and RackHD's power graphs as the BMCs saw them.

Each node gets ``PUT /api/2.0/nodes/:id/obm`` (``ipmi-obm-service``, its BMC address and first
administrator user).  The power graphs run on every node at once; each must succeed, the node must end
in the expected state, and the rack's journal must show the ipmitool traffic RackHD's OBM service sends
(rackhd-facts §1.2): powerOn = status then on; powerOff = status, off, status; reboot = off then on.
A failure prints that traffic, one ipmitool run per line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rackhd_suite.case import RackHDTestCase
from rackhd_suite.traffic import transcript


def status(user: str) -> dict[str, Any]:
    """``chassis power status``: one Get Chassis Status from ``user``."""
    return {"protocol": "ipmi", "operation": "chassis.get_status", "user": user, "completion_code": 0}


def control(user: str, on: bool) -> list[dict[str, Any]]:
    """``chassis power on|off``: the host power change and the chassis control request from ``user`` that caused
    it (the BMC journals the change before its answer)."""
    return [
        {"protocol": "power", "operation": "host-power", "on": on, "cause": "ipmi"},
        {"protocol": "ipmi", "operation": "chassis.control", "user": user, "completion_code": 0},
    ]


def power_on(user: str) -> list[dict[str, Any]]:
    return [status(user), *control(user, True)]


def power_off(user: str) -> list[dict[str, Any]]:
    return [status(user), *control(user, False), status(user)]


def reboot(user: str) -> list[dict[str, Any]]:
    return [*control(user, False), *control(user, True)]


class Obm(RackHDTestCase):
    group = "obm"
    node_ids: ClassVar[dict[str, str]]

    @classmethod
    def prepare(cls) -> None:
        cls.node_ids = {node.name: cls.session.register_compute(node) for node in cls.rack.nodes()}

    def _power_graph(
        self, graph: str, start_on: bool, end_on: bool, steps: Callable[[str], list[dict[str, Any]]]
    ) -> None:
        nodes = self.rack.nodes()
        for node in nodes:
            if (node.power_state() == "on") != start_on:
                node.power("on" if start_on else "off")
        mark = self.rack.journal.mark()
        runs = [self.session.start_graph(n.name, self.node_ids[n.name], graph) for n in nodes]
        self.session.run_graphs(runs)
        for node, run in zip(nodes, runs, strict=True):
            with self.subTest(node=node.name):
                traffic = transcript(self.rack, node.name, mark)
                if run.status != "succeeded":
                    self.fail(f"{run.failure()}\nwhat {node.name}'s BMC received:\n{traffic}")
                user, _ = self.session.admin_user(node)
                ordered = [{**step, "device": node.name} for step in steps(user)]
                try:
                    self.rack.journal.assert_order(ordered, since=mark, timeout=10)
                except AssertionError as exc:
                    self.fail(
                        f"{graph} succeeded but {node.name}'s BMC did not see RackHD's sequence: {exc}\n"
                        f"what it received:\n{traffic}"
                    )
                self.assertEqual(node.power_state(), "on" if end_on else "off", f"{node.name} after {graph}")

    def test_1_obm_settings_stored(self) -> None:
        """RackHD keeps the IPMI OBM as given and never shows its password."""
        for node in self.rack.nodes():
            with self.subTest(node=node.name):
                obms = self.rackhd.obms(self.node_ids[node.name])
                services = [o.get("service") for o in obms]
                self.assertIn("ipmi-obm-service", services, f"OBMs of {node.name}: {obms}")
                config = next(o for o in obms if o.get("service") == "ipmi-obm-service").get("config", {})
                self.assertEqual(config.get("host"), node.bmc.address)
                _, password = self.session.admin_user(node)
                shown = config.get("password")
                self.assertTrue(shown is None or shown != password, f"RackHD shows {node.name}'s BMC password")

    def test_2_power_on(self) -> None:
        self._power_graph("Graph.PowerOn.Node", False, True, power_on)

    def test_3_power_off(self) -> None:
        self._power_graph("Graph.PowerOff.Node", True, False, power_off)

    def test_4_reboot(self) -> None:
        """Graph.Reboot.Node: RackHD's wrapper turns reboot into powerOff then powerOn (rackhd-facts §1.2)."""
        self._power_graph("Graph.Reboot.Node", True, True, reboot)
