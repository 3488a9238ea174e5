"""Start ``serve.py`` (one BMC on a loopback address) as a subprocess and stop it again."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.bmc_sim.ipmi_testkit.clients import NEEDS_ROOT
from tests.support.privileges import require_root
from tests.support.processes import stop_process

SERVE = Path(__file__).with_name("serve.py")


class BmcServer:
    """A BMC subprocess; ``start`` waits (with a deadline) until it is bound."""

    def __init__(self, address: str, port: int = 623, **options: Any) -> None:
        self.address = address
        self.port = port
        self.options = options
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def argv(self) -> list[str]:
        argv = [sys.executable, str(SERVE), "--address", self.address, "--port", str(self.port)]
        for key, value in self.options.items():
            if isinstance(value, (tuple, list)):
                value = ",".join(str(v) for v in value)
            argv += [f"--{key.replace('_', '-')}", str(value)]
        return argv

    def start(self, timeout: float = 20.0) -> BmcServer:
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise AssertionError(f"BMC server on {self.address} not ready after {timeout} s:\n{self.output()}")
        first = next(line for line in self.lines if line.startswith(("READY", "BINDERROR")))
        if first.startswith("READY"):
            self.port = int(first.split()[1])
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(("READY", "BINDERROR")):
                self._ready.set()
        self._ready.set()

    def wait(self, timeout: float = 10.0) -> int:
        """Wait for the server to exit on its own (e.g. after BINDERROR); returns the exit code."""
        assert self.proc is not None
        code = self.proc.wait(timeout)
        if self._reader is not None:
            self._reader.join(timeout)
        return code

    def stop(self, timeout: float = 10.0) -> int:
        """Terminate (SIGTERM) and wait; returns the exit code."""
        assert self.proc is not None
        stop_process(self.proc, timeout)
        if self._reader is not None:
            self._reader.join(timeout)  # ends at EOF, after the last line (STATS) was read
        return self.proc.returncode

    def output(self) -> str:
        return "\n".join(self.lines)

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line[7:]) for line in self.lines if line.startswith("RECORD ")]

    def stats(self) -> dict[str, int]:
        for line in self.lines:
            if line.startswith("STATS "):
                return dict(json.loads(line[6:]))
        raise AssertionError(f"no STATS line in the server output:\n{self.output()}")


@contextmanager
def running_bmc(address: str, **options: Any) -> Iterator[BmcServer]:
    """A BMC server on UDP 623 of ``address`` (root needed) for the block; it must exit 0 on SIGTERM."""
    require_root(NEEDS_ROOT)
    server = BmcServer(address, **options).start()
    yield server
    assert server.stop() == 0, server.output()
