"""The double's logic, without sockets: nodes, task queues, templates, catalogs.

``handle(method, path, query, body) -> (status, body)`` answers what
on-taskgraph answers (rackhd-facts §3.6): bootstrap.js rendered with the
node id for a known MAC (404 otherwise), the next task batch for a node id
(404 when none is waiting), 201 for posted results, rendered templates.
``/api/common`` and ``/api/2.0`` are rewritten to ``/api/current`` as
on-taskgraph does.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.rackhd_double.graph import Batch, BmcCredentials, discovery_batches
from tests.rackhd_double.parsers import parse_task
from tests.rackhd_double.templates import BOOTSTRAP_JS, render

PREFIXES = ("/api/current/", "/api/common/", "/api/2.0/")
TEMPLATES = "{templates}"  # replaced by the templates URL when a batch is handed out


@dataclass
class NodeRecord:
    """One node RackHD knows (by MAC) and what it has learnt about it."""

    node_id: str
    mac: str
    credentials: BmcCredentials
    batches: deque[Batch]
    outstanding: Batch | None = None
    done: list[str] = field(default_factory=list)
    catalogs: dict[str, Any] = field(default_factory=dict)
    catalog_errors: dict[str, str] = field(default_factory=dict)
    lookups: list[dict[str, str]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.outstanding is None and not self.batches


@dataclass
class Request:
    method: str
    path: str
    status: int
    client: str = ""  # source address (RackHD identifies nodes by it)


class Southbound:
    """RackHD's southbound API as far as the discovery microkernel sees it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.nodes: dict[str, NodeRecord] = {}
        self.by_mac: dict[str, NodeRecord] = {}
        self.requests: list[Request] = []

    @property
    def templates_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/current/templates"

    def add_node(self, mac: str, credentials: BmcCredentials | None = None) -> NodeRecord:
        """Register a compute node (as a discovery graph would) and queue its batches."""
        mac = mac.lower()
        node_id = hashlib.sha1(mac.encode()).hexdigest()[:24]
        creds = credentials or BmcCredentials()
        record = NodeRecord(node_id, mac, creds, deque(discovery_batches(TEMPLATES, node_id, creds)))
        self.nodes[node_id] = record
        self.by_mac[mac] = record
        return record

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, client: str = ""
    ) -> tuple[int, bytes]:
        status, reply = self._route(method, path, query, body)
        self.requests.append(Request(method, path, status, client))
        return status, reply

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, bytes]:
        prefix = next((p for p in PREFIXES if path.startswith(p)), None)
        if prefix is None:
            return 404, b"Not Found"
        rest = path[len(prefix) :]
        if method == "GET" and rest == "tasks/bootstrap.js":
            record = self.by_mac.get((query.get("macAddress") or [""])[0].lower())
            if record is None:
                return 404, b'{"message":"Not Found"}'
            script = BOOTSTRAP_JS.format(server=self.host, port=self.port, identifier=record.node_id)
            return 200, script.encode()
        if rest.startswith("tasks/"):
            record = self.nodes.get(rest[len("tasks/") :])
            if record is None:
                return 404, b'{"message":"Not Found"}'
            if method == "GET":
                return self._next(record)
            if method == "POST":
                return self._posted(record, body)
        if method == "GET" and rest.startswith("templates/"):
            record = self.nodes.get((query.get("nodeId") or [""])[0])
            creds = record.credentials if record else BmcCredentials("", "")
            text = render(rest[len("templates/") :], user=creds.user, password=creds.password)
            return (404, b"Not Found") if text is None else (200, text)
        return 404, b"Not Found"

    def _next(self, record: NodeRecord) -> tuple[int, bytes]:
        if record.outstanding is None:
            if not record.batches:
                return 204, b""  # on-taskgraph answers 204 No Content while no task is waiting
            record.outstanding = record.batches.popleft()
        batch = record.outstanding
        tasks = copy.deepcopy(batch.commands)
        for task in tasks:
            if "downloadUrl" in task:
                task["downloadUrl"] = task["downloadUrl"].replace(TEMPLATES, self.templates_url)
        data: dict[str, Any] = {"identifier": record.node_id, "tasks": tasks}
        if batch.exit is not None:
            data["exit"] = batch.exit
        return 200, json.dumps(data).encode()

    def _posted(self, record: NodeRecord, body: bytes) -> tuple[int, bytes]:
        try:
            data = json.loads(body)
        except ValueError:
            return 400, b'{"message":"Bad Request"}'
        record.posts.append(data)
        for task in data.get("tasks", []):
            parsed = parse_task(task)
            if parsed is None:
                continue
            if parsed.error is not None:
                record.catalog_errors[parsed.source] = parsed.error
            elif parsed.store:
                record.catalogs[parsed.source] = parsed.data
                record.lookups += parsed.lookups
        if record.outstanding is not None:
            record.done.append(record.outstanding.label)
            record.outstanding = None
        return 201, b"{}"
