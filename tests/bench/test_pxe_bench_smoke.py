"""Functional smoke tests of the PXE benchmark against a real dnsmasq in network namespaces (no timed asserts).

5 simulated nodes go through DHCP and TFTP (``python -m bench.pxe_sim`` in its own process group,
as ``bench.pxe_run`` runs it), once with node_sim's sockets as the rack runs them (DHCP on packet
sockets, tested on their own in tests/node_sim/test_packet_e2e.py) and once with the UDP-socket
what-if; dnsmasq's log must show every lease and transfer, and the run must leave no namespace.
The stale-namespace sweep is checked on a namespace whose owner is gone.  Namespaces: ``vrt-pxe-*``; addresses:
10.235.0.0/16 (and 127.0.0.1 inside a private namespace).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.peers import run_in_group
from bench.pxe_net import sweep_stale
from tests.support.privileges import require_root, require_tools

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


@pytest.fixture(autouse=True)
def root_and_tools() -> None:
    require_root("the PXE benchmark creates network namespaces and veths: run as root (CI does)")
    require_tools("ip", "dnsmasq", hint="scripts/test installs iproute2 and dnsmasq-base")


@pytest.mark.parametrize("variant", ["netns", "udp"])
def test_five_simulated_nodes_get_their_boot_file_from_dnsmasq(variant: str) -> None:
    argv = [sys.executable, "-m", "bench.pxe_sim", "--nodes", "5", "--io", variant, "--deadline", "60"]
    code, out, err = run_in_group(argv, timeout=120)
    assert code == 0, err.decode(errors="replace")[-2000:]
    row = json.loads(out.decode().splitlines()[-1])
    assert row["kind"] == "sim" and row["variant"] == variant and row["nodes"] == 5
    assert row["done"] == 5 and row["not_done"] == 0 and row["done_within_60s"] == 5
    assert row["outcomes"] == {"expected": 5}  # each ROM fetched pxelinux.0 and stopped there
    assert row["dnsmasq_sent"] == 5 and row["dnsmasq_acks"] >= 5  # dnsmasq saw every lease and transfer
    assert row["dhcp_failures"] == 0 and row["tftp_failures"] == 0
    assert row["all_done_s"] > 0 and row["boots_per_s"] > 0
    assert row["rss_peak_kib"] >= row["rss_after_boot_kib"] > 0 and row["rss_before_nodes_kib"] > 0
    assert row["sim_cpu_s"] >= 0 and row["dnsmasq_cpu_s"] >= 0
    assert row["host_tuning"] is None  # nothing machine-wide was touched
    assert len(row["namespaces"]) == 2 and not set(row["namespaces"]) & namespaces()


def test_sweep_removes_namespaces_whose_owner_is_gone() -> None:
    dead_pid = subprocess.Popen(["true"])  # a pid whose process has exited
    dead_pid.wait()
    name = f"vrt-pxe-uz-{dead_pid.pid}"
    alive = f"vrt-pxe-uy-{os.getpid()}"
    try:
        for ns in (name, alive):
            subprocess.run(["ip", "netns", "add", ns], check=True)
        removed = sweep_stale()
        assert name in removed and alive not in removed
        assert name not in namespaces() and alive in namespaces()
    finally:
        for ns in (name, alive):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
