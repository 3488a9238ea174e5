"""`python -m pdu_sim` runs one PDU standalone on the Twisted asyncio reactor (subprocess tests)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from snmp_agent.testing import TOOL_ENV
from tests.support.processes import stop_process

pytestmark = pytest.mark.e2e

ADDRESS = "127.30.20.1"
PORT = 161 if os.geteuid() == 0 else 16161


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pdu_sim", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Events:
    """JSON lines from a process's stdout, read by a thread so that waiting has a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stream = proc.stdout

        def read() -> None:
            for line in stream:
                self.lines.put(line)

        threading.Thread(target=read, daemon=True).start()
        self.proc = proc

    def next(self, event: str, timeout: float = 20.0) -> dict[str, object]:
        """The next line whose ``event`` is ``event``, waiting at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                obj = json.loads(self.lines.get(timeout=remaining))
            except queue.Empty:
                break
            if obj.get("event") == event:
                return dict(obj)
        raise AssertionError(f"no {event!r} event within {timeout} s (exit status {self.proc.poll()})")


def snmp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=TOOL_ENV, timeout=30, check=False)


@pytest.fixture
def pdu() -> Iterator[Events]:
    proc = start(
        "--model", "servertech-sentry3", "--address", ADDRESS, "--port", str(PORT), "--name", "pdu-cli",
        "--community", "public:ro", "--community", "private:rw", "--outlets", "8",
    )  # fmt: skip
    try:
        yield Events(proc)
    finally:
        stop_process(proc)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_standalone_pdu_answers_and_reports(pdu: Events) -> None:
    """The process prints ready, serves RackHD's outlet commands and prints outlet and SNMP events."""
    ready = pdu.next("ready")
    assert (ready["device"], ready["address"], ready["port"]) == ("pdu-cli", ADDRESS, PORT)
    host = ADDRESS if PORT == 161 else f"{ADDRESS}:{PORT}"
    r = snmp("snmpset", "-v2c", "-c", "private", host, ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1.2", "i", "2")
    assert r.returncode == 0, r.stderr
    outlet = pdu.next("outlet")
    assert (outlet["outlet"], outlet["on"]) == (2, False)
    record = pdu.next("snmp")
    assert (record["operation"], record["principal"], record["values"]) == ("set", "private", ["2"])
    r = snmp("snmpget", "-v2c", "-c", "public", host, ".1.3.6.1.4.1.1718.3.2.3.1.10.1.1.2")
    assert r.stdout.strip().endswith("INTEGER: 4")


def test_port_in_use_exits_2_naming_device_and_address(pdu: Events) -> None:
    """A second PDU on the same address and port fails at start with status 2 and a clear message."""
    pdu.next("ready")
    clash = subprocess.run(
        [
            sys.executable,
            "-m",
            "pdu_sim",
            "--model",
            "apc",
            "--address",
            ADDRESS,
            "--port",
            str(PORT),
            "--name",
            "pdu-two",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert clash.returncode == 2
    assert "pdu-two" in clash.stderr and f"{ADDRESS}:{PORT}" in clash.stderr and "in use" in clash.stderr


def test_unknown_model_is_a_usage_error() -> None:
    """An unknown model exits 2 and lists the known ones."""
    r = subprocess.run(
        [sys.executable, "-m", "pdu_sim", "--model", "raritan", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert r.returncode == 2 and "servertech-sentry3" in r.stderr
