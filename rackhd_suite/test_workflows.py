"""Group workflows: a SEL event injected on the rack reaches RackHD's SEL poller; a workflow cancelled mid-way.

(Rediscovery after a cable change needs nodes that boot: it is in group discovery.)
"""

from __future__ import annotations

from typing import Any, ClassVar

from rackhd_suite.case import RackHDTestCase
from rackhd_suite.refresh import REFRESH, refresh_options
from rackhd_suite.test_pollers import INTERVAL_MS, latest
from rackhd_suite.waiting import wait_until

SENSOR_TYPE = 0x07  # processor (a one-word sensor type: see sel_sensor_number)
SENSOR_NUMBER = 0x5A


def sel_sensor_number(entry: dict[str, Any]) -> str:
    """The ``#0x..`` sensor number of an entry of RackHD's ``sel`` poller data, lower case.

    RackHD 2.60.7 splits ipmitool's ``Processor #0x5a`` on spaces and, when there are fewer than three words,
    appends ``00`` and takes that as the number: the real number stays in ``sensorType``
    (on-tasks lib/utils/job-utils/ipmi-parser.js, parseSelData).  Both places are read.
    """
    number = str(entry.get("sensorNumber", "")).lower()
    if number.startswith("#"):
        return number
    words = str(entry.get("sensorType", "")).split()
    return words[-1].lower() if words and words[-1].startswith("#") else number


class Workflows(RackHDTestCase):
    group = "workflows"
    node_ids: ClassVar[dict[str, str]]
    sel_pollers: ClassVar[dict[str, str]]

    @classmethod
    def prepare(cls) -> None:
        cls.node_ids, cls.sel_pollers = {}, {}
        for node in cls.rack.nodes():
            cls.node_ids[node.name] = cls.session.register_compute(node)
            poller = cls.rackhd.create_poller(cls.node_ids[node.name], "ipmi", {"command": "sel"}, INTERVAL_MS)
            cls.sel_pollers[node.name] = poller["id"]

    def test_1_sel_event_reaches_the_sel_poller(self) -> None:
        """An event the BMC logs (processor, sensor 0x5a) shows in RackHD's ``sel`` poller data."""
        node = self.rack.nodes()[0]
        record = node.sel_add(SENSOR_TYPE, SENSOR_NUMBER, 0)
        wanted = f"#0x{SENSOR_NUMBER:02x}"
        last: list[Any] = [None]

        def arrived() -> bool:
            last[0] = latest(self.rackhd.poller_current(self.sel_pollers[node.name]), "sel") or []
            return any(sel_sensor_number(e) == wanted for e in last[0])

        wait_until(
            arrived,
            self.session.config.poller_timeout,
            f"SEL record {record} ({wanted}) of {node.name} to reach RackHD's sel poller",
            seen=lambda: str(last[0])[-400:],
        )

    def test_2_workflow_cancelled_mid_way(self) -> None:
        """Graph.Refresh.Immediate.Discovery resets the node (seen on its BMC), then is cancelled: it ends
        cancelled and the node has no active workflow."""
        node = self.rack.nodes()[0]
        node_id = self.node_ids[node.name]
        user, _ = self.session.admin_user(node)
        mark = self.rack.journal.mark()
        run = self.session.start_graph(node.name, node_id, REFRESH, refresh_options(node_id))
        self.rack.journal.wait_for(
            device=node.name,
            operation="chassis.control",
            user=user,
            since=mark,
            timeout=self.session.config.graph_timeout,
        )
        self.rackhd.cancel_active(node_id)
        self.session.finish(run)
        self.assertEqual(run.status, "cancelled", run.failure())
        self.assertEqual(self.rackhd.active_workflows(node_id), [], f"{node.name} still has active workflows")
