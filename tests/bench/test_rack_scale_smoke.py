"""Smoke test of the scale benchmark (``bench.rack_scale``): 60 BMCs with their PDUs and switches, swept by
real ``ipmipower --stat`` processes: in one vrack process, split over two separate racks, as one rack
served by two worker processes (``vrack up --workers 2``) and in one process on shared listeners
(``ports.shared``), alone and over two workers; every answer must be "off" and every BMC counted.
Addresses: 127.16.18.0/23 (one rack), a /24 of it each when split.  Numbers are printed, not judged.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bench.rack_scale import rack_networks, scale_spec
from tests.support.ports import wildcard_port

pytestmark = [pytest.mark.e2e]


def test_networks_split_per_rack_and_spec_has_pdus_and_switches() -> None:
    assert rack_networks("127.128.0.0/9", 1) == ["127.128.0.0/9"]
    assert rack_networks("127.128.0.0/9", 2) == ["127.128.0.0/16", "127.129.0.0/16"]
    assert rack_networks("127.16.18.0/23", 2) == ["127.16.18.0/24", "127.16.19.0/24"]
    text = scale_spec("r", "127.16.18.0/24", 100, redfish=False)
    assert "count: 100" in text and "count: 3\n" in text and "enabled: false" in text  # 3 PDUs, 3 switches


def test_sixty_bmcs_answer_off_to_ipmipower_in_one_and_in_two_processes(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    shared_ports = (wildcard_port(socket.SOCK_DGRAM), wildcard_port())  # taken on every address
    argv = [
        sys.executable, "-m", "bench.rack_scale", "--bmcs", "60", "--racks", "1", "2", "--workers", "2",
        "--network", "127.16.18.0/23", "--shared", "--shared-ports", *map(str, shared_ports),
        "--per-client", "25", "--parallel", "3", "--timeout", "120", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())
    assert [(r["bmcs"], r["racks"], r["workers"], r["shared"]) for r in rows] == [
        (60, 1, 0, False),
        (60, 2, 0, False),
        (60, 1, 2, False),
        (60, 1, 0, True),
        (60, 1, 2, True),
    ]
    assert [r["processes"] for r in rows] == [1, 2, 3, 1, 3]  # with --workers 2: the coordinator and two workers
    for row in rows:
        assert row["answers"] == {"off": 60} and row["errors"] == 0 and row["not_answering"] == 0
        assert row["sweep_processes"] == 3 and row["pdus"] >= 2 and row["switches"] >= 2
        assert len(row["rss_each_mib"]) == row["processes"] and all(rss > 0 for rss in row["rss_each_mib"])
        assert abs(sum(row["rss_each_mib"]) - row["rss_mib"]) < 1  # per process, the coordinator first
        if row["shared"]:  # one UDP socket and one TCP listener (per worker) for all 60 BMCs
            assert row["fds"] < 60
        else:
            assert row["fds"] >= 2 * 60  # IPMI and Redfish sockets of every BMC
