"""RackHD's northbound API (``/api/2.0``) through ``requests``, with failures that say what was asked.

Only what the suite uses: nodes, OBMs and IBMs, workflows, pollers, catalogs, lookups.  Shapes follow
RackHD 2.60.7 (rackhd-facts §4, §9): an OBM body carries ``nodeId`` and goes to ``PUT /nodes/:id/obm``;
switches and PDUs carry their SNMP settings in ``ibms`` (``snmp-ibm-service``).
"""

from __future__ import annotations

from typing import Any

import requests

API = "/api/2.0"
FINISHED = ("succeeded", "failed", "cancelled", "timeout")


class RackHDUnreachable(RuntimeError):
    """Nothing answers at the configured RackHD URL (or it is not RackHD's API)."""


class RackHDError(AssertionError):
    """RackHD answered a request with an unexpected status (a test failure, with the request and the answer)."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"RackHD {method} {path} answered {status}: {body[:500]}")
        self.status = status


def created_node_id(created: dict[str, Any]) -> str:
    """The node id in RackHD's answer to ``POST /api/2.0/nodes``.

    For a switch or PDU posted with ``autoDiscover: true`` RackHD 2.60.7 answers with the discovery graph it
    started (``instanceId``, ``node``, ``injectableName``...), not the node (on-http
    lib/services/nodes-api-service.js, postNode: ``return workflowApiService.createAndRunGraph(...)``).
    """
    if "instanceId" in created and created.get("node"):
        node = created["node"]
        return str(node.get("id") if isinstance(node, dict) else node)
    if "id" not in created:
        raise AssertionError(f"RackHD's answer to POST /api/2.0/nodes names no node id: {created}")
    return str(created["id"])


class RackHD:
    """A logged-in session on RackHD's northbound API."""

    def __init__(self, url: str, user: str | None = None, password: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()
        self._user = user
        self._password = password

    def __repr__(self) -> str:
        return f"RackHD({self.url!r})"

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ plumbing

    def check_reachable(self) -> dict[str, Any]:
        """Log in if configured and read ``GET /api/2.0/config``; raise :class:`RackHDUnreachable` saying why not."""
        where = f"RackHD is not reachable at {self.url}"
        try:
            if self._user is not None:
                self.login()
            response = self._http.get(self.url + API + "/config", timeout=self.timeout)
        except requests.ConnectionError as exc:
            raise RackHDUnreachable(f"{where}: {_reason(exc)}") from None
        except requests.Timeout:
            raise RackHDUnreachable(f"{where}: no answer within {self.timeout:g} s") from None
        except RackHDError as exc:
            raise RackHDUnreachable(f"{where}: login refused ({exc})") from None
        if response.status_code == 401:
            raise RackHDUnreachable(f"{where}: the API wants a login; set [rackhd] user and password")
        if response.status_code != 200:
            raise RackHDUnreachable(f"{where}: GET {API}/config answered {response.status_code}")
        try:
            config: dict[str, Any] = response.json()
        except ValueError:
            raise RackHDUnreachable(f"{where}: GET {API}/config did not answer JSON (is this RackHD?)") from None
        return config

    def login(self) -> None:
        """``POST /login`` -> JWT, sent as ``Authorization: JWT <token>`` from then on."""
        body = {"username": self._user, "password": self._password}
        response = self._http.post(self.url + "/login", json=body, timeout=self.timeout)
        if response.status_code != 200:
            raise RackHDError("POST", "/login", response.status_code, "(login refused)")
        self._http.headers["Authorization"] = f"JWT {response.json()['token']}"

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        """``method`` on ``/api/2.0`` + ``path``; the JSON answer (None when empty), or :class:`RackHDError`."""
        timeout = kwargs.pop("timeout", self.timeout)
        try:
            response = self._http.request(method, self.url + API + path, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            raise RackHDUnreachable(f"RackHD at {self.url} stopped answering ({method} {API}{path}): {exc}") from None
        if response.status_code not in expect:
            raise RackHDError(method, API + path, response.status_code, response.text)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    # ------------------------------------------------------------------ nodes

    def nodes(self, node_type: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get("/nodes", params={"type": node_type} if node_type else None)
        return found

    def node(self, node_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/nodes/{node_id}")
        return found

    def node_by_identifier(self, identifier: str) -> dict[str, Any] | None:
        """The node whose ``identifiers`` hold ``identifier`` (a MAC, compared case-insensitively)."""
        wanted = identifier.lower()
        for node in self.nodes():
            if any(str(i).lower() == wanted for i in node.get("identifiers") or ()):
                return node
        return None

    def create_node(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /nodes``: the node record.  (With ``autoDiscover`` RackHD answers with the discovery graph it
        started instead; :func:`created_node_id` reads the node's id from either.)"""
        created: dict[str, Any] = self.call("POST", "/nodes", expect=(200, 201), json=body)
        return created

    def delete_node(self, node_id: str) -> None:
        self.call("DELETE", f"/nodes/{node_id}", expect=(200, 204, 404))

    def set_ipmi_obm(self, node_id: str, host: str, user: str, password: str) -> Any:
        """``PUT /nodes/:id/obm`` with the IPMI OBM shape RackHD accepts (``nodeId`` in the body)."""
        body = {
            "nodeId": node_id,
            "service": "ipmi-obm-service",
            "config": {"host": host, "user": user, "password": password},
        }
        return self.call("PUT", f"/nodes/{node_id}/obm", expect=(200, 201), json=body)

    def obms(self, node_id: str) -> list[dict[str, Any]]:
        found = self.get(f"/nodes/{node_id}/obm")
        return found if isinstance(found, list) else [found]

    def catalog(self, node_id: str, source: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/nodes/{node_id}/catalogs/{source}")
        return found

    def relations(self, node_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(f"/nodes/{node_id}/relations")
        return found

    # ------------------------------------------------------------------ workflows

    def start_graph(self, node_id: str | None, name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """``POST /nodes/:id/workflows`` (``POST /workflows`` for ``node_id`` None) -> the workflow
        (``instanceId``, ``status``)."""
        body: dict[str, Any] = {"name": name}
        if options:
            body["options"] = options
        path = f"/nodes/{node_id}/workflows" if node_id is not None else "/workflows"
        started: dict[str, Any] = self.call("POST", path, expect=(200, 201), json=body)
        return started

    def workflow(self, instance_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/workflows/{instance_id}")
        return found

    def cancel_active(self, node_id: str, timeout: float | None = None) -> None:
        """``PUT /nodes/:id/workflows/action {"command": "cancel"}``: cancels one active graph of the node (404:
        none); ``timeout`` bounds the wait for RackHD's answer (default: the client's)."""
        self.call(
            "PUT",
            f"/nodes/{node_id}/workflows/action",
            expect=(200, 202, 404),
            json={"command": "cancel"},
            timeout=timeout or self.timeout,
        )

    def active_workflows(self, node_id: str) -> list[dict[str, Any]]:
        found = self.get(f"/nodes/{node_id}/workflows", params={"active": "true"})
        return found if isinstance(found, list) else []

    # ------------------------------------------------------------------ pollers

    def node_pollers(self, node_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(f"/nodes/{node_id}/pollers")
        return found

    def create_poller(self, node_id: str, poller_type: str, config: dict[str, Any], interval_ms: int) -> dict[str, Any]:
        body = {"type": poller_type, "pollInterval": interval_ms, "node": node_id, "config": config}
        created: dict[str, Any] = self.call("POST", "/pollers", expect=(200, 201), json=body)
        return created

    def poller_current(self, poller_id: str) -> list[dict[str, Any]] | None:
        """``GET /pollers/:id/data/current``: its latest result, or None while it has none (204/404)."""
        found = self.call("GET", f"/pollers/{poller_id}/data/current", expect=(200, 204, 404))
        return found if isinstance(found, list) and found else None


def status_of(workflow: dict[str, Any]) -> str:
    """A workflow's status (RackHD 2.0 exposes ``status``; older data ``_status``)."""
    return str(workflow.get("status") or workflow.get("_status") or "unknown")


def _reason(exc: requests.ConnectionError) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused (is on-http running, and on this address and port?)"
    if "Name or service not known" in text or "getaddrinfo" in text:
        return "the host name does not resolve"
    return text
