"""Measuring one running SNMP agent: its tree, full ``snmpbulkwalk`` time, and GET load.

:func:`measure_agent` is called once per server while that server runs alone:

* tree: one GETBULK walk with :func:`bench.snmp_client.walk` (object count,
  and whether its OIDs equal the reference tree's);
* walk: ``snmpbulkwalk -v2c -Cr10 -c public -On ADDRESS 1`` run ``walks``
  times; wall time of each (process start included), median and minimum,
  objects printed, milliseconds per 1000 objects, and the server's CPU time
  per 1000 objects over all walks (read from ``/proc``);
* GET load: :mod:`bench.snmp_load` in its own process group for each client
  count, rotating over sysDescr.0, ifOperStatus.X and ifInOctets.X where X
  is the first ifIndex of the agent's own ifTable.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.peers import PeerError, run_in_group
from bench.procinfo import cpu_seconds, rss_kib
from bench.snmp_client import walk
from bench.snmp_wire import Oid, VarBind, format_oid

IF_OPER_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_IN_OCTETS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 10)
SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
END_OF_VIEW = "No more variables left in this MIB View"


@dataclass(frozen=True)
class BenchPlan:
    """Identical parameters for every server."""

    clients: tuple[int, ...] = (1, 4, 16)
    duration: float = 5.0
    warmup: float = 1.0
    processes: int = 2
    walks: int = 5
    max_repetitions: int = 10


def get_oids(tree: list[VarBind]) -> list[str]:
    """sysDescr.0, ifOperStatus.X, ifInOctets.X for the first ifIndex X of ``tree``'s ifTable."""
    index = next(
        (vb.oid[len(IF_OPER_STATUS) :] for vb in tree if vb.oid[: len(IF_OPER_STATUS)] == IF_OPER_STATUS), None
    )
    if index is None:
        raise PeerError("the agent has no ifOperStatus column")
    return [format_oid(SYS_DESCR), format_oid(IF_OPER_STATUS + index), format_oid(IF_IN_OCTETS + index)]


def count_walk_objects(output: str) -> int:
    """Objects in ``snmpbulkwalk -On`` output: lines naming an OID, less the endOfMibView line it may print."""
    return sum(1 for line in output.splitlines() if line.startswith(".") and END_OF_VIEW not in line)


def bulkwalk(address: str, max_repetitions: int = 10, timeout: float = 120.0) -> tuple[float, int]:
    """One ``snmpbulkwalk`` from OID 1: (wall seconds, objects printed)."""
    argv = ["snmpbulkwalk", "-v2c", f"-Cr{max_repetitions}", "-c", "public", "-On", address, "1"]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise PeerError(f"snmpbulkwalk {address} failed (exit {done.returncode}): {done.stderr[-500:]}")
    return elapsed, count_walk_objects(done.stdout)


def measure_walks(address: str, pid: int, plan: BenchPlan) -> dict[str, Any]:
    """``plan.walks`` full bulk walks; wall-time statistics and server CPU per 1000 objects."""
    cpu_before = cpu_seconds(pid)
    results = [bulkwalk(address, plan.max_repetitions) for _ in range(plan.walks)]
    cpu_after = cpu_seconds(pid)
    times = [t for t, _ in results]
    objects = results[-1][1]
    median = statistics.median(times)
    total_objects = sum(n for _, n in results)
    server_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return {
        "walks": plan.walks,
        "objects": objects,
        "objects_varied": len({n for _, n in results}) > 1,
        "walk_median_s": round(median, 4),
        "walk_min_s": round(min(times), 4),
        "walk_max_s": round(max(times), 4),
        "ms_per_1000_objects": round(median * 1e6 / objects, 2) if objects else None,
        "server_cpu_ms_per_1000_objects": (
            round(server_cpu * 1e6 / total_objects, 2) if server_cpu is not None and total_objects else None
        ),
    }


def run_get_load(address: str, clients: int, plan: BenchPlan, server_pid: int, oids: list[str]) -> dict[str, Any]:
    """``python -m bench.snmp_load`` in its own process group; its JSON result."""
    argv = [
        sys.executable, "-m", "bench.snmp_load", "--host", address, "--clients", str(clients),
        "--duration", str(plan.duration), "--warmup", str(plan.warmup),
        "--processes", str(min(plan.processes, clients)), "--server-pid", str(server_pid),
    ]  # fmt: skip
    for oid in oids:
        argv += ["--oid", oid]
    code, out, err = run_in_group(argv, timeout=plan.warmup + plan.duration + 90)
    lines = out.decode().strip().splitlines()
    if not lines:
        raise PeerError(f"SNMP load generator failed (exit {code}): {err.decode()[-1000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measure_agent(
    server: str,
    address: str,
    pid: int,
    plan: BenchPlan,
    reference: list[Oid] | None,
    tree_note: str,
    report: Callable[[str], None] = print,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[VarBind]]:
    """Walk row, GET-load rows and the agent's own tree for one running server."""
    tree = asyncio.run(walk(address, max_repetitions=25, timeout=5.0))
    oids = [vb.oid for vb in tree]
    walk_row: dict[str, Any] = {
        "server": server,
        "address": address,
        "tree": tree_note,
        "tree_objects": len(oids),
        "same_oids_as_vrack": None if reference is None else oids == reference,
        **measure_walks(address, pid, plan),
    }
    report(
        f"  {server:<15} walk: {walk_row['objects']} objects, median {walk_row['walk_median_s'] * 1000:.0f} ms "
        f"({walk_row['ms_per_1000_objects']} ms/1000 objects, server CPU "
        f"{walk_row['server_cpu_ms_per_1000_objects']} ms/1000)"
    )
    get_oids_used = get_oids(tree)
    load_rows: list[dict[str, Any]] = []
    for clients in plan.clients:
        row = run_get_load(address, clients, plan, pid, get_oids_used)
        row["server"] = server
        row["rss_kib"] = rss_kib(pid)
        load_rows.append(row)
        report(
            f"  {server:<15} GET K={clients:<3} {row['rps']:>8.0f} req/s  p50 {row['p50_us'] / 1000:.2f} ms  "
            f"p99 {row['p99_us'] / 1000:.2f} ms  server CPU {row['server_cpu_per_request_us']} us/req  "
            f"errors {row['errors']} timeouts {row['timeouts']}"
        )
    walk_row["rss_kib"] = rss_kib(pid)
    return walk_row, load_rows, tree
