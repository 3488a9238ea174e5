"""A rack in a child process: ``python -m vrack up SPEC``, exactly as a user runs it.

The child runs in its own session (a Ctrl-C at the terminal reaches the test runner, whose
teardown stops the rack) and gets SIGTERM from the kernel if the test runner dies without a
teardown (``PR_SET_PDEATHSIG``), so it always removes its control.json and namespace itself.
Readiness is the child's own "is up" line (read from its output, no polling); the control API is
then found in its ``control.json``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from vrack.statedir import RackDir
from vrack.testing.assertions import EventSource
from vrack.testing.events import ApiEventSource
from vrack.testing.handle import ControlClient

PR_SET_PDEATHSIG = 1


class RackStartError(RuntimeError):
    """The rack did not come up; the message has the reason (the child's own error lines)."""


def _child_setup() -> None:  # pragma: no cover - runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ProcessRunner:
    """Starts and stops one ``vrack up`` child."""

    mode = "process"

    def __init__(self, spec_file: Path, state_root: Path, rack: str, env: dict[str, str] | None = None) -> None:
        self.spec_file = spec_file
        self.rack_dir = RackDir(state_root / rack)
        self.log_file = state_root / f"{rack}.log"
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._up = threading.Event()
        self._drain: threading.Thread | None = None
        self.info: dict[str, Any] = {}

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float) -> None:
        command = [
            sys.executable,
            "-m",
            "vrack",
            "--state-dir",
            str(self.rack_dir.path.parent),
            "up",
            str(self.spec_file),
        ]
        env = dict(os.environ if self._env is None else self._env, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            preexec_fn=_child_setup,
        )
        assert self._proc.stdout is not None
        self._drain = threading.Thread(target=self._copy_output, args=(self._proc.stdout,), daemon=True)
        self._drain.start()
        if not self._up.wait(timeout) or (self._proc.poll() is not None and not self._running_info()):
            self.stop()
            raise RackStartError(self._failure(timeout))
        info = self._running_info()
        if info is None:
            self.stop()
            raise RackStartError(f"vrack up said it is up but left no control.json in {self.rack_dir.path}")
        self.info = info

    def _copy_output(self, stream: IO[bytes]) -> None:
        with self.log_file.open("ab") as log:
            for line in stream:
                log.write(line)
                log.flush()
                if b" is up " in line:
                    self._up.set()
        self._up.set()  # the child ended: stop waiting

    def _running_info(self) -> dict[str, Any] | None:
        info = self.rack_dir.read_control()
        if info and self._proc is not None and info.get("pid") == self._proc.pid and info.get("status") == "running":
            return info
        return None

    def _failure(self, timeout: float) -> str:
        output = self.log_file.read_text(errors="replace").strip() if self.log_file.exists() else ""
        lines = [line for line in output.splitlines() if line.strip()][-20:]
        code = self._proc.returncode if self._proc is not None else None
        head = f"vrack up exited with {code}" if code is not None else f"vrack up not ready within {timeout:g} s"
        return head + (":\n" + "\n".join(lines) if lines else "")

    @property
    def api_url(self) -> str:
        return str(self.info["api"])

    @property
    def run_id(self) -> str | None:
        run = self.info.get("run")
        return str(run) if run is not None else None

    @property
    def api_token(self) -> str | None:
        token = self.info.get("token")
        return str(token) if token else None

    def event_source(self) -> EventSource:
        return ApiEventSource(ControlClient(self.api_url, token=self.api_token))

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM and wait (the rack removes its control.json and namespace); SIGKILL after ``timeout``."""
        proc = self._proc
        if proc is None:
            return
        killed = False
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                killed = True
        if self._drain is not None:
            self._drain.join(timeout)
        if killed or proc.returncode == -signal.SIGKILL:
            self._leave_nothing_behind()

    def _leave_nothing_behind(self) -> None:
        """After a child that could not clean up (SIGKILL): its control.json and its rack namespace."""
        info = self.rack_dir.read_control()
        if info is not None and self._proc is not None and info.get("pid") == self._proc.pid:
            self.rack_dir.remove_control()
        if os.geteuid() == 0 and Path("/run/netns").is_dir():
            from vrack.netns_cleanup import cleanup_stale

            cleanup_stale(rack_dirs=[self.rack_dir.path])

    def output(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
