"""The dashboard of ``vrack ci dashboard``: read-only HTML pages over the history and the artifacts.

``/`` the cycles (outcome, duration, target, every input SHA) and the flaky tests; ``/cycles/N`` one
cycle (its suites, tests, PR statuses, artifacts); ``/tests`` every test with its recent outcomes;
``/artifacts/N/...`` the files a cycle kept (JUnit, suite output, the rack's journal and logs).
Served by the standard library's threading HTTP server on loopback by default; pages hold no secret
(the token is never in the history).  Each request opens its own read connection to the history.
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote

from vrack_ci.config import ConfigFile
from vrack_ci.history import History

STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-size:14px}th{background:#eee}
.passed{background:#d4f5d4}.failed{background:#f8d0d0}.error,.timeout{background:#f8e2b0}
.interrupted,.running,.skipped{background:#e4e4f4}.flaky{background:#f3d2f7;font-weight:bold}
code{font-size:13px}.box{display:inline-block;width:.9em;height:.9em;margin-right:2px}nav a{margin-right:1em}"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str) -> bytes:
    nav = '<nav><a href="/">cycles</a><a href="/tests">tests</a></nav>'
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{_e(title)}</title><style>{STYLE}</style>'
        f"</head><body>{nav}<h1>{_e(title)}</h1>{body}</body></html>"
    ).encode()


def _table(headers: list[str], rows: list[str], table_id: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f'<table id="{table_id}"><tr>{head}</tr>{"".join(rows)}</table>'


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)) if ts else ""


def _took(row: dict[str, Any]) -> str:
    return f"{row['finished'] - row['started']:.1f} s" if row.get("finished") else "running"


class Pages:
    """Renders the pages of one config's history."""

    def __init__(self, config: ConfigFile) -> None:
        self.config = config

    def _history(self) -> History:
        return History(self.config.history_path)

    def index(self) -> bytes:
        history = self._history()
        try:
            cycles, flaky = history.cycles(200), history.flaky()
        finally:
            history.close()
        rows = []
        for c in cycles:
            shas = ", ".join(f"{n} {s[:10]}" for n, s in json.loads(c["inputs"])["repositories"].items())
            rows.append(
                f'<tr class="{_e(c["state"])}"><td><a href="/cycles/{c["id"]}">{c["id"]}</a></td>'
                f"<td>{_e(c['state'])}</td><td>{_e(_took(c))}</td><td>{_e(_when(c['started']))}</td>"
                f"<td>{_e(c['target_repo'])} {_e(c['target_ref'])}</td><td><code>{_e(shas)}</code></td>"
                f'<td>{_e(c["reason"])}</td><td><a href="/artifacts/{c["id"]}/">artifacts</a></td></tr>'
            )
        body = _table(["cycle", "outcome", "duration", "started (UTC)", "target", "SHAs", "why", ""], rows, "cycles")
        body += "<h2>Flaky tests</h2>" + self._flaky_table(flaky)
        return _page(f"vrack ci: {self.config.config.name}", body)

    def _flaky_table(self, flaky: list[dict[str, Any]]) -> str:
        rows = [
            f'<tr class="flaky"><td>{_e(f["suite"])}</td><td>{_e(f["test_id"])}</td><td>{f["passed"]}</td>'
            f"<td>{f['failed']}</td><td><code>{_e(f['inputs_key'])}</code></td><td>{_e(f['cycles'])}</td></tr>"
            for f in flaky
        ]
        if not rows:
            return '<p id="no-flaky">No flaky test: no test both passed and failed on the same inputs.</p>'
        return _table(["suite", "test", "passed", "failed", "inputs", "cycles"], rows, "flaky")

    def cycle(self, cycle_id: int) -> bytes | None:
        history = self._history()
        try:
            c = history.cycle(cycle_id)
            if c is None:
                return None
            suites, tests, statuses = history.suites(cycle_id), history.tests(cycle_id), history.statuses(cycle_id)
        finally:
            history.close()
        inputs = json.loads(c["inputs"])
        body = (
            f'<p id="summary" class="{_e(c["state"])}">{_e(c["state"])} in {_e(_took(c))}: '
            f"{_e(c['target_repo'])} {_e(c['target_ref'])} <code>{_e(c['target_sha'])}</code> {_e(c['reason'])}</p>"
            f"<p>inputs <code>{_e(c['inputs_key'])}</code>: <code>{_e(json.dumps(inputs))}</code></p>"
            f'<p><a href="/artifacts/{cycle_id}/">artifacts</a> (JUnit, suite output, rack journal and logs)</p>'
        )
        rows = [
            f'<tr class="{_e(s["state"])}"><td>{_e(s["name"])}</td><td>{"gate" if s["gate"] else ""}</td>'
            f"<td>{_e(s['state'])}</td><td>{s['finished'] - s['started']:.1f} s</td>"
            f"<td>{_e(' '.join(f'{k} {v}' for k, v in s['counts'].items()))}</td><td>{_e(s['reason'])}</td></tr>"
            for s in suites
        ]
        body += "<h2>Suites</h2>" + _table(["suite", "", "outcome", "duration", "tests", "why"], rows, "suites")
        rows = [
            f'<tr class="{_e(t["outcome"])}"><td>{_e(t["suite"])}</td><td><a href="/tests?suite={quote(t["suite"])}'
            f'&amp;test={quote(t["test_id"])}">{_e(t["test_id"])}</a></td><td>{_e(t["outcome"])}</td>'
            f"<td>{t['duration']:.3f} s</td><td>{_e(t['message'][:300])}</td></tr>"
            for t in tests
        ]
        body += "<h2>Tests</h2>" + _table(["suite", "test", "outcome", "duration", "message"], rows, "tests")
        rows = [
            f"<tr><td>{_e(s['context'])}</td><td>{_e(s['state'])}</td><td>{_e(s['description'])}</td>"
            f"<td>{'posted ' + _when(s['posted']) if s['posted'] else ('superseded' if s['superseded'] else 'waiting')}"
            f"</td></tr>"
            for s in statuses
        ]
        body += "<h2>PR statuses</h2>" + _table(["context", "state", "description", "posted"], rows, "statuses")
        return _page(f"cycle {cycle_id}", body)

    def tests(self, suite: str | None, test_id: str | None) -> bytes:
        history = self._history()
        try:
            summary, flaky = history.test_summary(), history.flaky()
            runs = history.test_history(suite, test_id) if suite and test_id else []
        finally:
            history.close()
        flaky_ids = {(f["suite"], f["test_id"]) for f in flaky}
        rows = []
        for t in summary:
            is_flaky = (t["suite"], t["test_id"]) in flaky_ids
            link = f"/tests?suite={quote(t['suite'])}&amp;test={quote(t['test_id'])}"
            rows.append(
                f'<tr class="{"flaky" if is_flaky else _e(t["last_outcome"])}"><td>{_e(t["suite"])}</td>'
                f'<td><a href="{link}">{_e(t["test_id"])}</a>{" (flaky)" if is_flaky else ""}</td><td>{t["runs"]}</td>'
                f"<td>{t['passed']}</td><td>{t['failed']}</td><td>{t['mean_duration']:.3f} s</td>"
                f"<td>{_e(t['last_outcome'])}</td></tr>"
            )
        body = _table(["suite", "test", "runs", "passed", "failed", "mean duration", "last"], rows, "test-summary")
        if runs:
            items = [
                f'<tr class="{_e(r["outcome"])}"><td><a href="/cycles/{r["cycle_id"]}">{r["cycle_id"]}</a></td>'
                f"<td>{_e(r['outcome'])}</td><td>{r['duration']:.3f} s</td><td>{_e(r['target_ref'])} "
                f"<code>{_e(r['target_sha'][:10])}</code></td><td><code>{_e(r['inputs_key'])}</code></td></tr>"
                for r in runs
            ]
            body += f"<h2>History of {_e(suite)} {_e(test_id)}</h2>"
            body += _table(["cycle", "outcome", "duration", "target", "inputs"], items, "test-history")
        return _page("tests", body)

    def artifact(self, rel: str) -> tuple[bytes, str] | None:
        """A file (or a directory listing) under the artifacts directory; None outside it or missing."""
        root = self.config.artifacts_dir.resolve()
        path = (root / rel).resolve()
        if path != root and root not in path.parents:
            return None
        if path.is_dir():
            entries = sorted(path.iterdir())
            items = "".join(
                f'<li><a href="{quote(e.name)}{"/" if e.is_dir() else ""}">{_e(e.name)}{"/" if e.is_dir() else ""}'
                f"</a></li>"
                for e in entries
            )
            return _page(f"artifacts/{rel}", f'<ul id="artifacts">{items}</ul>'), "text/html; charset=utf-8"
        if path.is_file():
            kind = mimetypes.guess_type(path.name)[0] or "text/plain"
            if kind.startswith("text/") or path.suffix in (".log", ".jsonl", ".yaml", ".txt"):
                kind = "text/plain; charset=utf-8" if kind != "text/xml" else kind
            return path.read_bytes(), kind
        return None


class Handler(BaseHTTPRequestHandler):
    pages: Pages
    server_version = "vrack-ci"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no access log on the console
        pass

    def _send(self, code: int, body: bytes, kind: str = "text/html; charset=utf-8") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        params = {k: unquote(v.replace("+", " ")) for k, v in params.items()}
        body: bytes | None
        kind = "text/html; charset=utf-8"
        if path == "/":
            body = self.pages.index()
        elif path == "/tests":
            body = self.pages.tests(params.get("suite"), params.get("test"))
        elif m := re.fullmatch(r"/cycles/([0-9]{1,12})", path):
            body = self.pages.cycle(int(m.group(1)))
        elif path.startswith("/artifacts/"):
            found = self.pages.artifact(unquote(path[len("/artifacts/") :]))
            body, kind = found if found else (None, kind)
        else:
            body = None
        if body is None:
            self._send(404, _page("not found", f"<p>{_e(path)}: no such page</p>"))
        else:
            self._send(200, body, kind)


def serve(config: ConfigFile, host: str, port: int) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0: any free one); call ``serve_forever()``."""
    handler = type("BoundHandler", (Handler,), {"pages": Pages(config)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
