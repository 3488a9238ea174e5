"""Start a real rack (``python -m vrack up``) in a subprocess for end-to-end tests.

The rack runs exactly as a user runs it; tests talk to its devices with real
clients and to its control API over HTTP.  Waiting is always on a condition
with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _default_sigint() -> None:
    """A child of a shell's background job inherits SIGINT ignored; a rack must stop on Ctrl-C as a user's does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class RackProcess:
    """A running ``vrack up`` subprocess with helpers for its control API."""

    def __init__(self, spec_path: Path, state_root: Path, rack: str, args: tuple[str, ...] = ()) -> None:
        self.spec_path = spec_path
        self.args = args  # more `vrack up` options, e.g. ("--workers", "2")
        self.state_root = state_root
        self.rack = rack
        self.log_path = state_root / f"{rack}.stdout"
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    @property
    def control_file(self) -> Path:
        return self.state_root / self.rack / "control.json"

    def start(self, timeout: float = 60.0) -> RackProcess:
        self.state_root.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "vrack",
                    "--state-dir",
                    str(self.state_root),
                    "up",
                    *self.args,
                    str(self.spec_path),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=env,
                preexec_fn=_default_sigint,
            )

        def ready() -> dict[str, Any] | None:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"vrack up exited with {self.proc.returncode}:\n{self.output()}")
            try:
                info: dict[str, Any] = json.loads(self.control_file.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                return None
            return info if info.get("status") == "running" else None

        self.info = wait_for(ready, timeout, "the rack to come up")
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def api(self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.info["api"] + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def events(self, device: str | None = None, after: int = 0) -> list[dict[str, Any]]:
        query = f"/api/v1/events?after={after}&limit=100000" + (f"&device={device}" if device else "")
        events: list[dict[str, Any]] = self.api("GET", query)["events"]
        return events

    def last_seq(self) -> int:
        return int(self.api("GET", "/api/v1/rack")["journal_last_seq"])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Stop the rack; return its exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"vrack did not stop on signal {sig}:\n{self.output()}") from None
        return self.proc.returncode


@contextmanager
def running_rack(base: Path, spec: str, rack: str) -> Iterator[RackProcess]:
    """Write ``spec`` to ``base/rack.yaml``, start it (state under ``base/state``), stop it afterwards.

    The rack must stop cleanly (exit 0 on SIGTERM); its output is the failure message otherwise.
    """
    spec_path = base / "rack.yaml"
    spec_path.write_text(spec)
    process = RackProcess(spec_path, base / "state", rack).start()
    yield process
    code = process.stop()
    assert code == 0, f"vrack exited {code} on SIGTERM:\n{process.output()}"
