"""SNMP benchmarks in one run: vrack vs snmpsim vs net-snmp's snmpd, side by side, as markdown tables.

    python -m bench.snmp_run                       # about 3 minutes on 2 cores (root: UDP 161)
    python -m bench.snmp_run --duration 2 --clients 1 4 --no-memory-walk   # quick look

Servers run one after another, each alone, on 127.18.0.0/16 UDP 161:

1. vrack (127.18.0.3): one 48-port arista-7050 switch, four ports cabled to
   powered nodes.  Its tree is walked once over the wire; that walk is the
   reference tree for the peers;
2. snmpsim (127.18.0.1): the same tree as a ``.snmprec`` file (snmpsim's venv
   is built on first use, see :mod:`bench.snmp_peers`);
3. snmpd-override (127.18.0.2): net-snmp serving the same OIDs through one
   ``override`` line each (Counter64 values become Counter32: snmpd's
   override cannot store Counter64);
4. snmpd-native (127.18.0.4): snmpd with its own MIB modules (its own tree of
   this machine; compare per-object numbers only).

For each: full ``snmpbulkwalk`` (median of ``--walks``) and GET load with K
clients (:mod:`bench.snmp_load`).  Then :mod:`bench.snmp_memory`: RSS and
start-up of a rack with 40 switches and 80 PDUs vs the same rack without
them.  Raw rows go to ``bench/results/snmp-<time>.json`` (gitignored).  Every
process runs in its own process group and is stopped in a ``finally``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import snmp_memory, snmp_report, tables
from bench.peers import PeerError, Processes
from bench.procinfo import load_average
from bench.snmp_bench import BenchPlan, measure_agent
from bench.snmp_client import wait_answering
from bench.snmp_peers import (
    ensure_snmpsim,
    snmpd_version,
    snmpsim_version,
    start_snmpd,
    start_snmpsim,
    start_vrack_switch,
)
from bench.snmp_wire import VarBind, snmpd_override_line, snmprec_line

RESULTS = Path(__file__).resolve().parent / "results"
SERVERS = ("vrack", "snmpsim", "snmpd-override", "snmpd-native")
ADDRESSES = {
    "snmpsim": "127.18.0.1",
    "snmpd-override": "127.18.0.2",
    "vrack": "127.18.0.3",
    "snmpd-native": "127.18.0.4",
}
NODE_NETWORK = "127.18.1.0/24"
TREE_NOTES = {
    "vrack": "vrack switch (reference)",
    "snmpsim": "same tree (.snmprec)",
    "snmpd-override": "same OIDs (override lines)",
    "snmpd-native": "snmpd's own MIBs",
}


def export_tree(tree: list[VarBind]) -> tuple[list[str], list[str], int]:
    """(snmprec lines, snmpd override lines, objects whose type override had to change)."""
    records = [line for vb in tree if (line := snmprec_line(vb)) is not None]
    overrides: list[str] = []
    changed = 0
    for vb in tree:
        line, retyped = snmpd_override_line(vb)
        if line is not None:
            overrides.append(line)
            changed += retyped
    return records, overrides, changed


def _serve(
    server: str, procs: Processes, workdir: Path, tree: list[VarBind]
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start ``server`` (vrack needs no tree); extra facts about how it serves for the results."""
    address = ADDRESSES[server]
    if server == "vrack":
        return start_vrack_switch(procs, workdir / "vrack", address, NODE_NETWORK), {}
    records, overrides, retyped = export_tree(tree)
    if server == "snmpsim":
        responder = ensure_snmpsim()
        return start_snmpsim(procs, responder, workdir / "snmpsim", records, address), {"records": len(records)}
    if server == "snmpd-override":
        proc = start_snmpd(procs, workdir / "snmpd-override", address, overrides)
        return proc, {"records": len(overrides), "retyped_counter64": retyped}
    return start_snmpd(procs, workdir / "snmpd-native", address), {}


def measure_server(
    server: str, plan: BenchPlan, workdir: Path, tree: list[VarBind], report: Callable[[str], None]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[VarBind]]:
    """Start one server, wait until it answers, measure it, stop it."""
    procs = Processes()
    address = ADDRESSES[server]
    try:
        started = time.monotonic()
        proc, facts = _serve(server, procs, workdir, tree)
        if not asyncio.run(wait_answering([address], timeout=90)):
            raise PeerError(f"{server} on {address} never answered (exit {proc.poll()}); logs in {workdir}")
        ready_s = round(time.monotonic() - started, 2)
        reference = [vb.oid for vb in tree] if tree and server in ("snmpsim", "snmpd-override") else None
        walk_row, load_rows, own = measure_agent(server, address, proc.pid, plan, reference, TREE_NOTES[server], report)
        walk_row.update(facts, ready_s=ready_s)
        return walk_row, load_rows, own
    finally:
        procs.stop_all()


def run(
    plan: BenchPlan,
    workdir: Path,
    servers: tuple[str, ...] = SERVERS,
    report: Callable[[str], None] = print,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Walk rows and GET rows of every server (failures become rows with an ``error``)."""
    walk_rows: list[dict[str, Any]] = []
    load_rows: list[dict[str, Any]] = []
    tree: list[VarBind] = []
    for server in [s for s in SERVERS if s in servers]:  # vrack first: its tree is the reference
        if server in ("snmpsim", "snmpd-override") and not tree:
            walk_rows.append({"server": server, "error": "no reference tree (the vrack run failed)"})
            continue
        try:
            walk_row, rows, own = measure_server(server, plan, workdir, tree, report)
        except (PeerError, OSError, subprocess.SubprocessError) as exc:
            report(f"  {server}: FAILED: {exc}")
            walk_rows.append({"server": server, "error": str(exc)})
            continue
        if server == "vrack":
            tree = own
        walk_rows.append(walk_row)
        load_rows.extend(rows)
    return walk_rows, load_rows


def environment() -> dict[str, Any]:
    from importlib.metadata import version

    def _git() -> str:
        done = subprocess.run(["git", "-C", str(RESULTS.parent.parent), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=False)  # fmt: skip
        return done.stdout.strip() or "unknown"

    return {
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pysnmp (vrack)": version("pysnmp"),
        "snmpd": snmpd_version(),
        "commit": _git(),
        "loadavg_start": load_average(),
    }


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SNMP benchmarks: vrack vs snmpsim vs net-snmp snmpd")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16], help="concurrent GET clients (K)")
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per GET run (D)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--processes", type=int, default=2, help="client processes for K > 1")
    parser.add_argument("--walks", type=int, default=5, help="full bulk walks per server (median reported)")
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument("--switches", type=int, default=40, help="switches in the memory rack")
    parser.add_argument("--pdus", type=int, default=80, help="PDUs in the memory rack")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory benchmark")
    parser.add_argument("--no-memory-walk", action="store_true", help="do not walk every device of the memory rack")
    args = parser.parse_args(argv)
    if any(not 1 <= k <= 256 for k in args.clients) or not 1 <= args.walks <= 50 or not 0 < args.duration <= 120:
        parser.error("--clients must be 1..256, --walks 1..50, --duration 0..120 s")
    if os.geteuid() != 0:
        parser.error("run as root: every agent listens on UDP 161 of its own loopback address")
    signal.signal(signal.SIGTERM, _terminate)
    plan = BenchPlan(tuple(args.clients), args.duration, args.warmup, args.processes, args.walks)

    env = environment()
    started = time.monotonic()
    say: Callable[[str], None] = lambda line: print(line, flush=True)  # noqa: E731
    say(f"# SNMP benchmarks ({env['cpus']} CPUs, load {env['loadavg_start']}, commit {env['commit']})")
    say(f"\nwalk x{plan.walks} and GET K={list(plan.clients)}, D={plan.duration:g} s (+{plan.warmup:g} s warm-up)")
    with tempfile.TemporaryDirectory(prefix="vrack-snmp-bench-") as tmp:
        walk_rows, load_rows = run(plan, Path(tmp), tuple(args.servers), report=say)
    if "snmpsim" in args.servers:
        env["snmpsim"] = (
            snmpsim_version(ensure_snmpsim())
            if any(r["server"] == "snmpsim" and "error" not in r for r in walk_rows)
            else "unavailable"
        )
    memory_rows: list[dict[str, Any]] = []
    if not args.no_memory:
        say(f"\nmemory: rack with {args.switches} switches + {args.pdus} PDUs vs the same rack without them")
        try:
            memory_rows = snmp_memory.run(args.switches, args.pdus, walk_devices=not args.no_memory_walk)
        except (PeerError, OSError, subprocess.SubprocessError) as exc:
            say(f"  memory: FAILED: {exc}")
            memory_rows = [{"rack": "full", "error": str(exc)}]
    elapsed = time.monotonic() - started

    lines = ["", f"## Results (took {elapsed:.0f} s)", "", *[f"- {key}: {value}" for key, value in env.items()]]
    lines += ["", "### Full snmpbulkwalk from OID 1 (-v2c -Cr10)", "", *snmp_report.walk_table(walk_rows)]
    lines += ["", "### GET requests under K concurrent clients", "", *tables.load_table(load_rows)]
    lines += ["", "### Ratios (vrack / peer)", "", *snmp_report.ratio_table(walk_rows, load_rows)]
    if memory_rows:
        lines += ["", "### Memory and start-up", "", *snmp_report.memory_table(memory_rows)]
    lines += ["", "### Goals", "", *snmp_report.goals(walk_rows, load_rows, memory_rows)]
    print("\n".join(lines))

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / time.strftime("snmp-%Y%m%d-%H%M%S.json")
    document = {
        "environment": env,
        "plan": plan.__dict__,
        "elapsed_s": round(elapsed, 1),
        "walk": walk_rows,
        "load": load_rows,
        "memory": memory_rows,
    }
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"\nraw results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
