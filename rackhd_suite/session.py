"""One suite run's shared state: the settings, RackHD's API, the bus, the rack, and the helpers groups share.

``vrack test rackhd`` builds a :class:`SuiteSession` around the rack it started (:func:`provide`).  A
plain ``python -m unittest rackhd_suite`` / pytest / nose2 run builds one on first use (:func:`current`):
settings from the environment (and ``$RACKHD_SUITE_CONFIG``), RackHD must answer, and the rack of
``[rack] spec`` is started through ``vrack.testing`` (stopped when the interpreter exits).
"""

from __future__ import annotations

import atexit
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rackhd_suite.boot_trail import boot_trail
from rackhd_suite.client import RackHD, created_node_id, status_of
from rackhd_suite.config import RACK_SPEC, ConfigError, SuiteConfig, load_config
from rackhd_suite.db import Cleaner
from rackhd_suite.events import GraphEvents, GraphWaiter, PolledGraphs
from rackhd_suite.waiting import WaitTimeout, wait_until
from vrack.testing import NodeHandle, RackHandle, SnmpCommunity, start_rack

_current: SuiteSession | None = None


@dataclass
class GraphRun:
    """A graph the suite started on a node, and how it ended."""

    node: str
    node_id: str
    name: str
    instance_id: str
    status: str = "running"
    workflow: dict[str, Any] = field(default_factory=dict)
    since: int | None = None  # the rack journal's mark from before the graph could act on the node

    def failure(self) -> str:
        """Why it did not succeed: its status and every task that did not, with RackHD's error."""
        lines = [f"{self.name} on {self.node} (workflow {self.instance_id}) ended {self.status}"]
        tasks = self.workflow.get("tasks") or {}
        for task in tasks.values() if isinstance(tasks, dict) else tasks:
            state = task.get("state") or task.get("status")
            if state and state != "succeeded":
                error = task.get("error") or ""
                lines.append(f"  task {task.get('label') or task.get('name')}: {state} {error}".rstrip())
        return "\n".join(lines)


def graph_targets(workflow: dict[str, Any]) -> set[str]:
    """The node ids a RackHD workflow (``GET /api/2.0/workflows``) acts on: its ``node`` and its tasks' targets.

    RackHD 2.60.7 starts Graph.SKU.Discovery for a PXE-booted node with no target ("the nested workflow
    holds the lock against the nodeId": on-taskgraph lib/services/profile-api-service.js,
    createAndRunGraph(configuration, null)), so ``node`` is empty and only the tasks' ``options.nodeId`` /
    ``options.graphOptions.target`` name the node.
    """
    found = {str(workflow.get("node") or "")}
    tasks = workflow.get("tasks") or []
    for task in tasks.values() if isinstance(tasks, dict) else tasks:
        options = (task or {}).get("options") or {}
        found.add(str(options.get("nodeId") or ""))
        found.add(str((options.get("graphOptions") or {}).get("target") or ""))
    found.discard("")
    return found


def write_community(communities: Sequence[SnmpCommunity]) -> str:
    """The community to give RackHD: a read-write one first (the spec's ``rw``; its PDU OBMs set outlets,
    which a read-only community gets ``noAccess`` for), else the first, else ``public``."""
    ranked = sorted(communities, key=lambda c: c.access not in ("rw", "read-write"))
    return ranked[0].name if ranked else "public"


class SuiteSession:
    """Everything a group's tests need (one per run)."""

    def __init__(self, config: SuiteConfig, rack: RackHandle, owns_rack: bool = False) -> None:
        self.config = config
        self.rack = rack
        self._owns_rack = owns_rack
        self.rackhd = connect(config)
        self.rackhd_config = self.rackhd.check_reachable()
        self.graphs: GraphWaiter = (
            GraphEvents(config.amqp_url, fallback=PolledGraphs(self.rackhd))
            if config.amqp_url
            else PolledGraphs(self.rackhd)
        )
        self.cleaner = Cleaner(self.rackhd, config.mongo_url)
        self.log: list[str] = []  # what setup steps did (shown in the run's summary)

    def close(self) -> None:
        self.graphs.close()
        self.cleaner.close()
        self.rackhd.close()
        if self._owns_rack:
            self.rack.stop()

    # ------------------------------------------------------------------ the rack in RackHD

    def known_nodes(self) -> dict[str, str]:
        """Rack device name -> RackHD node id, for the rack's devices RackHD knows (by MAC or SNMP host)."""
        found: dict[str, str] = {}
        macs: dict[str, str] = {}
        for node in self.rack.nodes():
            for mac in node.nic_macs:
                macs[mac.lower()] = node.name
            macs[f"{node.name}-pdu"] = f"{node.name}-pdu"  # the snmp group's node with a PDU outlet OBM
        hosts = {address: name for name, (_proto, address, _port) in self.rack.endpoints().items()}
        for record in self.rackhd.nodes():
            for ident in record.get("identifiers") or ():
                if str(ident).lower() in macs:
                    found[macs[str(ident).lower()]] = record["id"]
            for ibm in record.get("ibms") or ():
                host = (ibm.get("config") or {}).get("host")
                if host in hosts:
                    found[hosts[host]] = record["id"]
            if record.get("name") in hosts.values() and record.get("type") in ("switch", "pdu"):
                found[str(record["name"])] = record["id"]
        return found

    def clear_rack_nodes(self) -> str:
        """Remove every node of this rack from RackHD (so a group starts from nothing); one line of report.

        On a netns rack the compute nodes are powered off first: a node a previous group left on PXE boots into
        RackHD's discovery, which would create it again (and start graphs on it) while its records are removed.
        """
        if self.rack.plan.spec.mode == "netns":
            for node in self.rack.nodes():
                if node.power_state() == "on":
                    node.power("off")
        report = self.cleaner.clear(sorted(set(self.known_nodes().values())))
        self.log.append(report)
        return report

    def admin_user(self, node: NodeHandle) -> tuple[str, str]:
        """The node's first administrator BMC user (name, password) from the rack."""
        users = node.bmc.users
        for user in users:
            if user.privilege == "administrator":
                return user.name, user.password
        raise AssertionError(f"{node.name} has no administrator BMC user in the rack spec; RackHD's OBM needs one")

    def register_compute(self, node: NodeHandle) -> str:
        """Create the node in RackHD (identified by its NIC MACs) with an IPMI OBM for its BMC; its id."""
        record = self.rackhd.node_by_identifier(node.nic_macs[0]) if node.nic_macs else None
        if record is None:
            body = {"name": node.name, "type": "compute", "identifiers": [m.lower() for m in node.nic_macs]}
            record = self.rackhd.create_node(body)
        user, password = self.admin_user(node)
        self.rackhd.set_ipmi_obm(record["id"], node.bmc.address, user, password)
        return str(record["id"])

    def snmp_community(self, name: str) -> str:
        """A community the rack's device ``name`` answers (read-write first: RackHD's PDU OBMs set outlets)."""
        kind = next(d["kind"] for d in self.rack.devices() if d["name"] == name)
        handle = self.rack.pdu(name) if kind == "pdu" else self.rack.switch(name)
        return write_community(handle.communities)

    def register_snmp(self, name: str, kind: str, auto_discover: bool) -> str:
        """``POST /api/2.0/nodes`` for a switch or PDU with its ``snmp-ibm-service`` settings; its id.

        With ``auto_discover`` RackHD starts Graph.Switch.Discovery / Graph.PDU.Discovery itself.
        """
        _proto, address, _port = self.rack.endpoints()[name]
        body = {
            "name": name,
            "type": kind,
            "autoDiscover": auto_discover,
            "ibms": [
                {"service": "snmp-ibm-service", "config": {"host": address, "community": self.snmp_community(name)}}
            ],
        }
        return created_node_id(self.rackhd.create_node(body))

    # ------------------------------------------------------------------ graphs

    def start_graph(
        self, node: str, node_id: str, name: str, options: dict[str, Any] | None = None, targeted: bool = True
    ) -> GraphRun:
        """Start ``name`` on ``node_id`` (``POST /nodes/:id/workflows``), or with ``targeted=False`` through
        ``POST /workflows`` with the node only in ``options`` (for graphs that run a nested graph on the node)."""
        since = self.rack.journal.mark()
        started = self.rackhd.start_graph(node_id if targeted else None, name, options)
        instance = started.get("instanceId") or (started.get("context") or {}).get("graphId") or started.get("id")
        if not instance:
            raise AssertionError(f"RackHD started {name} on {node} but named no instanceId: {started}")
        return GraphRun(node, node_id, name, str(instance), since=since)

    def find_graph(
        self, node: str, node_id: str, name: str, timeout: float = 60.0, since: int | None = None
    ) -> GraphRun:
        """The graph ``name`` RackHD itself started on ``node_id`` (e.g. discovery), once it is listed;
        ``since`` is a journal mark from before whatever made RackHD start it (for a timeout's message)."""
        seen: list[Any] = []

        def listed() -> GraphRun | None:
            workflows = self.rackhd.get(f"/nodes/{node_id}/workflows")
            seen[:] = [w.get("injectableName") or w.get("name") for w in workflows]
            named = [w for w in workflows if name in (w.get("name"), w.get("injectableName"))]
            if not named:
                # RackHD starts a PXE-booted node's discovery graph with no target (the nested graph holds the
                # node's lock): only the graph's tasks name the node.
                named = [
                    w
                    for w in self.rackhd.get("/workflows")
                    if name in (w.get("name"), w.get("injectableName")) and node_id in graph_targets(w)
                ]
            for workflow in named:
                instance = workflow.get("instanceId") or (workflow.get("context") or {}).get("graphId")
                return GraphRun(node, node_id, name, str(instance), since=since)
            return None

        return wait_until(listed, timeout, f"RackHD to start {name} on {node}", seen=lambda: seen)

    def finish(self, run: GraphRun, timeout: float | None = None) -> GraphRun:
        """Wait for ``run`` to end (AMQP event, or the workflow API); fills ``status`` and ``workflow``."""
        limit = timeout or self.config.graph_timeout
        status = self.graphs.wait(run.instance_id, limit)
        run.workflow = self.rackhd.workflow(run.instance_id)
        if status is None:
            run.status = status_of(run.workflow)
            trail = "".join(f"\n  {line}" for line in self.node_trail(run))
            raise WaitTimeout(
                f"{run.name} on {run.node} did not finish within {limit:g} s (waited on {self.graphs.how});"
                f" RackHD says it is {run.status}" + (f"\nmeanwhile, in the rack's journal:{trail}" if trail else "")
            )
        run.status = status
        return run

    def node_trail(self, run: GraphRun) -> list[str]:
        """How ``run``'s node booted since the graph began (:func:`boot_trail`); ``[]`` for a switch or PDU."""
        if run.since is None or run.node not in {node.name for node in self.rack.nodes()}:
            return []
        try:
            entries = self.rack.journal.events(since=run.since, device=run.node)
        except Exception as exc:  # the timeout is the failure to report; an unreadable journal only a note
            return [f"(the rack's journal could not be read: {exc})"]
        return boot_trail(run.node, entries)

    def run_graphs(self, runs: list[GraphRun], timeout: float | None = None) -> list[GraphRun]:
        """Wait for several graphs started together (on different nodes); all of them, in order."""
        return [self.finish(run, timeout) for run in runs]


def connect(config: SuiteConfig) -> RackHD:
    """RackHD's API as configured (not yet checked: :meth:`RackHD.check_reachable` does that)."""
    return RackHD(config.rackhd_url, config.rackhd_user, config.rackhd_password, config.http_timeout)


def provide(config: SuiteConfig, rack: RackHandle) -> SuiteSession:
    """Make the session of this run around ``rack`` (used by ``vrack test rackhd``)."""
    global _current
    if _current is not None:
        _current.close()
    _current = SuiteSession(config, rack)
    return _current


def current() -> SuiteSession:
    """This run's session; built from the environment (starting the rack of ``[rack] spec``) on first use."""
    global _current
    if _current is None:
        config = load_config()
        if config.rack_spec is None:
            raise ConfigError(f"{RACK_SPEC} is not set: the suite needs the vrack rack spec RackHD is to manage")
        connect(config).check_reachable()  # RackHDUnreachable before a rack is started for nothing
        rack = start_rack(config.rack_spec, mode="process", ports="standard")
        try:
            _current = SuiteSession(config, rack, owns_rack=True)
        except BaseException:
            rack.stop()
            raise
        atexit.register(close)
    return _current


def close() -> None:
    global _current
    if _current is not None:
        _current.close()
        _current = None
