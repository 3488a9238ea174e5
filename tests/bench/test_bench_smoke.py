"""Functional smoke tests of the benchmark harness (no timed asserts).

The load generator runs for about a second, in its own process, against each
real server: a one-node vrack (``python -m vrack up``), OpenIPMI's ipmi_sim
(the independent implementation the client was first verified against) and
pyghmi's stock BMC.  Addresses: 127.16.9.0/24, reserved for these tests.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.peers import Processes, run_in_group, start_ipmi_sim, start_pyghmi, start_vrack
from bench.probe import wait_answering

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

VRACK_HOST, SIM_HOST, PYGHMI_HOST = "127.16.9.1", "127.16.9.2", "127.16.9.3"

ONE_NODE = f"""\
rack: bench-smoke
seed: bench-smoke-seed
networks:
  management: 127.16.9.0/24
devices:
  - name: node01
    kind: compute
    model: generic
    bmc:
      address: {VRACK_HOST}
      boot_time: 0
      users:
        - {{name: admin, password: admin}}
"""


def _load(host: str, pid: int, password: str = "admin", clients: int = 2) -> dict[str, Any]:
    argv = [
        sys.executable, "-m", "bench.ipmi_load", "--host", host, "--clients", str(clients), "--duration", "1",
        "--warmup", "0.2", "--timeout", "0.5", "--server-pid", str(pid), "--password", password,
    ]  # fmt: skip
    _, out, err = run_in_group(argv, timeout=60)
    assert out, err.decode()
    result: dict[str, Any] = json.loads(out.decode().splitlines()[-1])
    return result


def _check_working(result: dict[str, Any], clients: int = 2) -> None:
    assert result["sessions_opened"] == clients, result
    assert result["requests_ok"] > 0, result
    assert result["p50_us"] > 0 and result["p99_us"] >= result["p50_us"], result
    assert result["errors"] == 0, result
    assert result["server_cpu_s"] is not None, result
    split = result["server_user_us_per_request"] + result["server_sys_us_per_request"]
    assert abs(split - result["server_cpu_per_request_us"]) <= 0.2, result  # the same ticks, split
    assert result["server_voluntary_switches_per_request"] >= 0, result


def test_load_generator_against_vrack(procs: Processes, tmp_path: Path) -> None:
    proc, _ = start_vrack(procs, tmp_path, "bench-smoke", ONE_NODE, timeout=60)
    assert VRACK_HOST in asyncio.run(wait_answering([VRACK_HOST], timeout=20))
    _check_working(_load(VRACK_HOST, proc.pid))


@pytest.mark.skipif(shutil.which("ipmi_sim") is None, reason="Debian package openipmi is not installed")
def test_load_generator_against_ipmi_sim_and_wrong_password(procs: Processes, tmp_path: Path) -> None:
    proc = start_ipmi_sim(procs, tmp_path / "sim", SIM_HOST)
    assert SIM_HOST in asyncio.run(wait_answering([SIM_HOST], timeout=20))
    _check_working(_load(SIM_HOST, proc.pid))
    refused = _load(SIM_HOST, proc.pid, password="not-admin", clients=1)
    assert refused["sessions_opened"] == 0 and refused["requests_ok"] == 0, refused


def test_load_generator_against_pyghmi(procs: Processes, tmp_path: Path) -> None:
    proc, _ = start_pyghmi(procs, tmp_path / "pyghmi.log", addresses=[PYGHMI_HOST], timeout=30)
    assert PYGHMI_HOST in asyncio.run(wait_answering([PYGHMI_HOST], timeout=20))
    _check_working(_load(PYGHMI_HOST, proc.pid))
