"""Helpers for end-to-end switch tests: run ``python -m switch_sim`` and net-snmp's tools."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.support.processes import stop_process
from tests.support.rack_process import ROOT
from tests.support.waiting import wait_for

Oid = tuple[int, ...]
END_OF_VIEW = "No more variables left in this MIB View"


class SwitchProcess:
    """``python -m switch_sim ...`` in a subprocess, started and stopped by a test fixture."""

    def __init__(self, args: Sequence[str], log: Path) -> None:
        self.args = list(args)
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> SwitchProcess:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "switch_sim", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=env,
            )

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"switch_sim exited with {self.proc.returncode}:\n{self.output()}")
            return "serving SNMP on" in self.output()

        wait_for(ready, timeout, "switch_sim to bind")
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc)


def run(tool: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run a net-snmp tool with numeric, value-only output (``-Onq``)."""
    return subprocess.run([tool, "-Onq", *args], capture_output=True, text=True, timeout=timeout, check=False)


def parse(stdout: str) -> list[tuple[Oid, str]]:
    """``-Onq`` output as (oid, value) pairs; continuation lines (wrapped hex) join the previous value."""
    pairs: list[tuple[Oid, str]] = []
    for line in stdout.splitlines():
        if line.startswith("."):
            oid_text, _, value = line.partition(" ")
            if value.startswith(END_OF_VIEW):
                continue  # net-snmp's report of endOfMibView after the last instance
            pairs.append((tuple(int(x) for x in oid_text.lstrip(".").split(".")), value.strip().strip('"')))
        elif pairs and line.strip():
            oid, value = pairs[-1]
            pairs[-1] = (oid, f"{value} {line.strip()}")
    return pairs


def hex_octets(value: str) -> bytes:
    """net-snmp's ``"00 1C 73 46 BD 01 "`` as bytes."""
    return bytes(int(x, 16) for x in value.split())
