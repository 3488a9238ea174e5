"""A STAND-IN for GitHub's REST API (GitHub cannot be reached here): the parts vrack ci uses.

``GET /repos/{o}/{r}/pulls`` (open pull requests), ``GET /repos/{o}/{r}/statuses/{sha}`` (also as
``/commits/{sha}/statuses``) and
``POST /repos/{o}/{r}/statuses/{sha}``, with GitHub's JSON shapes, ``Authorization: token ...`` checked
against one valid token (401 "Bad credentials" otherwise, as GitHub answers), and queued faults
(5xx, rate limits with ``Retry-After`` / ``X-RateLimit-Reset``, an error body echoing the request's
headers to prove the client's errors never carry the token).  Every request is recorded, so tests
assert the exact requests a cycle made.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str
    body: dict[str, Any] | None


@dataclass
class Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    echo_headers: bool = False


class GithubStandIn:
    """The state behind the stand-in: repositories' pulls and statuses, the valid token, faults."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.pulls: dict[str, list[dict[str, Any]]] = {}
        self.statuses: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.requests: list[Recorded] = []
        self.faults: list[tuple[str, str, Fault]] = []  # (method, path regex, fault), used once each
        self.lock = threading.Lock()
        self._ids = 0

    def add_pull(self, repo: str, number: int, sha: str, ref: str = "feature") -> None:
        self.pulls.setdefault(repo, []).append(
            {
                "number": number,
                "state": "open",
                "title": f"PR {number}",
                "url": f"/repos/{repo}/pulls/{number}",
                "head": {"sha": sha, "ref": ref},
                "base": {"ref": "main"},
            }
        )

    def fail(self, method: str, path_pattern: str, fault: Fault, times: int = 1) -> None:
        self.faults += [(method, path_pattern, fault)] * times

    def posted(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def _fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for i, (m, pattern, fault) in enumerate(self.faults):
                if m == method and re.fullmatch(pattern, path):
                    del self.faults[i]
                    return fault
        return None

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], auth: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.requests.append(Recorded(method, path, query, auth, body))
        fault = self._fault(method, path)
        if fault is not None:
            payload = dict(fault.body)
            if fault.echo_headers:
                payload["request_headers"] = headers
            return fault.status, payload, fault.headers
        if auth != f"token {self.token}":
            return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, {}
        if m := re.fullmatch(r"/repos/([^/]+/[^/]+)/pulls", path):
            if m.group(1) not in self.pulls:
                return 404, {"message": "Not Found"}, {}
            return 200, [p for p in self.pulls[m.group(1)] if p["state"] == "open"], {}
        statuses = re.fullmatch(
            r"/repos/([^/]+/[^/]+)/(?:commits/([0-9a-f]{40})/statuses|statuses/([0-9a-f]{40}))", path
        )
        if statuses and method == "GET":  # GitHub answers both forms; PyGithub uses the second
            m = statuses
            sha = m.group(2) or m.group(3)
            return 200, list(reversed(self.statuses.get((m.group(1), sha), []))), {}
        if m := re.fullmatch(r"/repos/([^/]+/[^/]+)/commits/([0-9a-f]{40})/statuses", path):
            return 200, list(reversed(self.statuses.get((m.group(1), m.group(2)), []))), {}
        if (m := re.fullmatch(r"/repos/([^/]+/[^/]+)/statuses/([0-9a-f]{40})", path)) and method == "POST":
            if body.get("state") not in ("pending", "success", "failure", "error"):
                return 422, {"message": "Validation Failed"}, {}
            with self.lock:
                self._ids += 1
                status = {
                    "id": self._ids,
                    "url": path,
                    "state": body["state"],
                    "context": body.get("context", "default"),
                    "description": body.get("description"),
                    "target_url": body.get("target_url"),
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
                self.statuses.setdefault((m.group(1), m.group(2)), []).append(status)
            return 201, status, {}
        return 404, {"message": "Not Found"}, {}


def serve(standin: GithubStandIn, address: str) -> ThreadingHTTPServer:
    """Serve ``standin`` on ``address`` (a free port) in a thread; ``shutdown()`` stops it."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            code, payload, headers = standin.handle(
                self.command,
                url.path,
                parse_qs(url.query),
                self.headers.get("Authorization", ""),
                body,
                dict(self.headers.items()),
            )
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-RateLimit-Limit", "5000")
            self.send_header("X-RateLimit-Remaining", headers.pop("X-RateLimit-Remaining", "4999"))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer((address, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
