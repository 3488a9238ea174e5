"""Functional smoke tests of the SNMP benchmark harness against real agents (no timed asserts).

A one-switch vrack rack (``python -m vrack up``) answers the GET load
generator (run for about a second in its own process group) and the GETBULK
walker; the walked tree, exported as ``override`` lines, is served by a real
net-snmp ``snmpd`` and walked again with net-snmp's ``snmpbulkwalk``.  snmpsim
is not needed (CI must not download it).  Addresses: 127.18.200.0/23,
reserved for these tests inside the SNMP benchmark's 127.18.0.0/16.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.peers import Processes, run_in_group
from bench.snmp_bench import bulkwalk, get_oids
from bench.snmp_client import wait_answering, walk
from bench.snmp_peers import start_snmpd, start_vrack_switch
from bench.snmp_run import export_tree

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SWITCH_HOST, SNMPD_HOST, NODE_NETWORK = "127.18.200.3", "127.18.200.2", "127.18.201.0/24"


def _load(host: str, pid: int, oids: list[str], clients: int = 2) -> dict[str, Any]:
    argv = [
        sys.executable, "-m", "bench.snmp_load", "--host", host, "--clients", str(clients),
        "--processes", str(min(2, clients)), "--duration", "1", "--warmup", "0.2", "--timeout", "0.5",
        "--server-pid", str(pid),
    ]  # fmt: skip
    for oid in oids:
        argv += ["--oid", oid]
    _, out, err = run_in_group(argv, timeout=60)
    assert out, err.decode()
    result: dict[str, Any] = json.loads(out.decode().splitlines()[-1])
    return result


def test_get_load_generator_against_a_vrack_switch(procs: Processes, tmp_path: Path) -> None:
    proc = start_vrack_switch(procs, tmp_path, SWITCH_HOST, NODE_NETWORK, rack="bench-snmp-smoke")
    assert SWITCH_HOST in asyncio.run(wait_answering([SWITCH_HOST], timeout=30))
    tree = asyncio.run(walk(SWITCH_HOST))
    result = _load(SWITCH_HOST, proc.pid, get_oids(tree))
    assert result["requests_ok"] > 0, result
    assert result["errors"] == 0 and result["malformed"] == 0, result
    assert result["p99_us"] >= result["p50_us"] > 0, result
    assert result["server_cpu_s"] is not None, result
    missing = _load(SWITCH_HOST, proc.pid, ["1.3.6.1.2.1.1.1.99"], clients=1)  # noSuchInstance: an error
    assert missing["errors"] > 0 and missing["requests_ok"] == 0, missing


def test_vrack_tree_served_by_snmpd_overrides_walks_the_same(procs: Processes, tmp_path: Path) -> None:
    vrack = start_vrack_switch(procs, tmp_path / "vrack", SWITCH_HOST, NODE_NETWORK, rack="bench-snmp-smoke")
    assert SWITCH_HOST in asyncio.run(wait_answering([SWITCH_HOST], timeout=30))
    tree = asyncio.run(walk(SWITCH_HOST))
    _, vrack_objects = bulkwalk(SWITCH_HOST)
    assert len(tree) == vrack_objects > 4000  # 48 ports: IF-MIB, BRIDGE-MIB, LLDP, ENTITY rows
    assert any(vb.oid[:3] == (1, 0, 8802) for vb in tree)  # LLDP lives under iso.std.8802
    procs.stop(vrack)

    records, overrides, retyped = export_tree(tree)
    assert len(records) == len(overrides) == len(tree) and retyped > 0  # the switch has Counter64 columns
    start_snmpd(procs, tmp_path / "snmpd", SNMPD_HOST, overrides)
    assert SNMPD_HOST in asyncio.run(wait_answering([SNMPD_HOST], timeout=30))
    served = asyncio.run(walk(SNMPD_HOST))
    assert [vb.oid for vb in served] == [vb.oid for vb in tree]
    same_type = [a.raw == b.raw for a, b in zip(tree, served, strict=True) if a.tag == b.tag]
    assert len(same_type) == len(tree) - retyped and all(same_type)
    _, snmpd_objects = bulkwalk(SNMPD_HOST)
    assert snmpd_objects == len(tree)
