"""A STAND-IN for RackHD's northbound API (on-http ``/api/2.0``), for testing vrack's RackHD suite in CI.

RackHD cannot run in CI, so the suite's end-to-end test runs against this: the routes the suite calls, with
RackHD 2.60.7's shapes (rackhd-facts §4, §9: OBMs by ``PUT /nodes/:id/obm`` with ``nodeId``, passwords never
shown, workflows with ``instanceId`` and ``status``), graphs that really drive the rack through ipmitool
(:mod:`tests.rackhd_double.obm`), and ``graph.finished.<id>`` published on a real RabbitMQ's ``on.events``.
It is NOT RackHD: a test of the suite's logic, not of RackHD's behaviour.

``fail_graphs``: graph names the stand-in fails without touching the rack (to test the suite's failures).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.rackhd_double import obm

GRAPH_NAMES = (
    *obm.GRAPHS,
    "Graph.Switch.Discovery",
    "Graph.PDU.Discovery",
    "Graph.SKU.Discovery",
    "Graph.Service.Poller",
)
# RackHD 2.60.7 answers GET /api/2.0/obms/definitions with the definitions' paths, not the objects.
OBM_DEFINITIONS = [
    "/api/2.0/obms/definitions/ipmi-obm-service.json",
    "/api/2.0/obms/definitions/servertech-obm-service.json",
]


class Reply(Exception):
    def __init__(self, status: int, body: Any = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class StandIn:
    """The stand-in's state and logic (``handle(method, path, query, body) -> (status, body)``)."""

    def __init__(self, amqp_url: str | None = None) -> None:
        self.amqp_url = amqp_url
        self.nodes: dict[str, dict[str, Any]] = {}
        self.obms: dict[str, dict[str, Any]] = {}  # node id -> ipmi OBM (with password)
        self.workflows: dict[str, dict[str, Any]] = {}
        self.fail_graphs: set[str] = set()
        self.requests: list[tuple[str, str, int]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _new_id(self) -> str:
        return f"{next(self._ids):024x}"  # a Mongo ObjectId's shape

    # ------------------------------------------------------------------ routing

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        try:
            status, reply = 200, self._route(method, path, query, body)
        except Reply as r:
            status, reply = r.status, r.body
        self.requests.append((method, path, status))
        return status, reply

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        if not path.startswith("/api/2.0/"):
            raise Reply(404, {"message": "Not Found"})
        rest = path[len("/api/2.0/") :].rstrip("/")
        parts = rest.split("/")
        if (method, rest) == ("GET", "config"):
            return {"apiServerAddress": "127.0.0.1", "apiServerPort": 9030, "autoCreateObm": "true"}
        if (method, rest) == ("GET", "workflows/graphs"):
            return [{"injectableName": name, "friendlyName": name, "tasks": []} for name in GRAPH_NAMES]
        if (method, rest) == ("GET", "workflows/tasks"):
            return [{"injectableName": "Task.Obm.Node.PowerOn"}, {"injectableName": "Task.Obm.Node.PowerOff"}]
        if (method, rest) == ("GET", "obms/definitions"):
            return OBM_DEFINITIONS
        if (method, rest) in (("GET", "pollers"), ("GET", "catalogs")):
            return []
        if parts[0] == "nodes":
            return self._nodes(method, parts[1:], query, body)
        if parts[0] == "workflows" and len(parts) == 2 and method == "GET":
            return self._workflow(parts[1])
        raise Reply(404, {"message": f"the stand-in does not serve {method} {path}"})

    def _nodes(self, method: str, parts: list[str], query: dict[str, list[str]], body: Any) -> Any:
        if not parts:
            if method == "GET":
                wanted = query.get("type", [])
                return [self._view(n) for n in self.nodes.values() if not wanted or n["type"] in wanted]
            if method == "POST":
                return self._create(body)
        node = self.nodes.get(parts[0])
        if node is None:
            raise Reply(404, {"message": f"Could not find node with id {parts[0]}"})
        sub = "/".join(parts[1:])
        if (method, sub) == ("GET", ""):
            return self._view(node)
        if (method, sub) == ("DELETE", ""):
            del self.nodes[node["id"]]
            self.obms.pop(node["id"], None)
            return self._view(node)
        if sub == "obm":
            if method == "PUT":
                return self._set_obm(node, body)
            if method == "GET":
                return [self._obm_view(node["id"])] if node["id"] in self.obms else []
        if (method, sub) == ("POST", "workflows"):
            return self._start(node, body or {})
        if (method, sub) == ("GET", "workflows"):
            active = (query.get("active") or ["false"])[0] == "true"
            return [w for w in self.workflows.values() if w["node"] == node["id"] and (not active or _running(w))]
        if (method, sub) == ("PUT", "workflows/action"):
            return self._cancel(node)
        if (method, sub) == ("GET", "pollers"):
            return []
        if (method, sub) == ("GET", "relations"):
            return node["relations"]
        if method == "GET" and re.fullmatch(r"catalogs/[\w-]+", sub):
            raise Reply(404, {"message": "no catalog"})
        raise Reply(404, {"message": f"the stand-in does not serve {method} nodes/:id/{sub}"})

    # ------------------------------------------------------------------ nodes and OBMs

    def _create(self, body: Any) -> Any:
        if not isinstance(body, dict) or not body.get("name") or body.get("type") not in ("compute", "switch", "pdu"):
            raise Reply(400, {"message": "name and type (compute, switch, pdu) are required"})
        if "obms" in body:
            raise Reply(400, {"message": "Missing required property: nodeId"})  # RackHD 2.60.7 (facts §9)
        node = {
            "id": self._new_id(),
            "name": body["name"],
            "type": body["type"],
            "identifiers": list(body.get("identifiers") or []),
            "ibms": body.get("ibms") or [],
            "relations": [],
        }
        self.nodes[node["id"]] = node
        raise Reply(201, self._view(node))

    def _set_obm(self, node: dict[str, Any], body: Any) -> Any:
        config = body.get("config") if isinstance(body, dict) else None
        if not isinstance(body, dict) or body.get("nodeId") != node["id"]:
            raise Reply(400, {"message": "Missing required property: nodeId"})
        if body.get("service") != "ipmi-obm-service" or not isinstance(config, dict):
            raise Reply(400, {"message": "the stand-in knows ipmi-obm-service only"})
        missing = [k for k in ("host", "user", "password") if not config.get(k)]
        if missing:
            raise Reply(400, {"message": f"Missing required property: {missing[0]}"})
        self.obms[node["id"]] = {"id": self._new_id(), "service": "ipmi-obm-service", "config": dict(config)}
        raise Reply(201, self._obm_view(node["id"]))

    def _obm_view(self, node_id: str) -> dict[str, Any]:
        record = self.obms[node_id]
        shown = {k: v for k, v in record["config"].items() if k != "password"}  # RackHD strips secrets
        return {"id": record["id"], "node": f"/api/2.0/nodes/{node_id}", "service": record["service"], "config": shown}

    def _view(self, node: dict[str, Any]) -> dict[str, Any]:
        record = self.obms.get(node["id"])
        obms = [{"service": record["service"], "ref": f"/api/2.0/obms/{record['id']}"}] if record else []
        return {**node, "obms": obms}

    # ------------------------------------------------------------------ workflows

    def _start(self, node: dict[str, Any], body: dict[str, Any]) -> Any:
        name = body.get("name")
        if name not in obm.GRAPHS:
            raise Reply(400, {"message": f"the stand-in runs only {', '.join(obm.GRAPHS)} (got {name!r})"})
        if node["id"] not in self.obms:
            raise Reply(400, {"message": f"node {node['id']} has no OBM"})
        instance = str(uuid.uuid4())
        workflow = {"instanceId": instance, "name": name, "node": node["id"], "status": "running", "tasks": {}}
        with self._lock:
            self.workflows[instance] = workflow
        thread = threading.Thread(target=self._run, args=(workflow,), daemon=True)
        self._threads.append(thread)
        thread.start()
        raise Reply(201, dict(workflow))

    def _run(self, workflow: dict[str, Any]) -> None:
        task = {"label": workflow["name"].split(".")[1].lower(), "state": "running"}
        workflow["tasks"] = {"t1": task}
        try:
            if workflow["name"] in self.fail_graphs:
                raise obm.ObmFailed("stand-in told to fail this graph")
            obm.GRAPHS[workflow["name"]](self.obms[workflow["node"]]["config"])
        except (obm.ObmFailed, OSError, KeyError) as exc:
            task.update(state="failed", error=str(exc))
            status = "failed"
        else:
            task["state"] = "succeeded"
            status = "succeeded"
        if workflow["status"] == "running":
            workflow["status"] = status
        self._publish(workflow)

    def _cancel(self, node: dict[str, Any]) -> Any:
        active = [w for w in self.workflows.values() if w["node"] == node["id"] and _running(w)]
        if not active:
            raise Reply(404, {"message": "no active workflow"})
        for workflow in active:
            workflow["status"] = "cancelled"
        raise Reply(202, {"message": "cancelled"})

    def _workflow(self, instance: str) -> Any:
        if instance not in self.workflows:
            raise Reply(404, {"message": f"no workflow {instance}"})
        return self.workflows[instance]

    def _publish(self, workflow: dict[str, Any]) -> None:
        """``graph.finished.<graphId>`` ``{"status": ...}`` on ``on.events`` (on-core lib/protocol/events.js)."""
        if not self.amqp_url:
            return
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        try:
            channel = connection.channel()
            body = json.dumps({"status": workflow["status"]}).encode()
            channel.basic_publish("on.events", f"graph.finished.{workflow['instanceId']}", body)
        finally:
            connection.close()

    def declare_exchange(self) -> None:
        """Declare ``on.events`` as RackHD's services do when they start."""
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url or ""))
        try:
            connection.channel().exchange_declare("on.events", exchange_type="topic", durable=True)
        finally:
            connection.close()


def _running(workflow: dict[str, Any]) -> bool:
    return workflow["status"] in ("running", "pending")


class _Handler(BaseHTTPRequestHandler):
    standin: StandIn

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        status, reply = self.standin.handle(self.command, url.path, parse_qs(url.query), body)
        data = json.dumps(reply).encode() if reply is not None else b""
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


def serve(standin: StandIn, address: str, port: int = 0) -> ThreadingHTTPServer:
    """Serve ``standin`` on ``address:port`` in a daemon thread; ``server.shutdown()`` stops it."""
    handler = type("Handler", (_Handler,), {"standin": standin})
    server = ThreadingHTTPServer((address, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
