"""Start-up time and memory for 10, 100 and 1,000 BMCs: vrack vs pyghmi vs ipmi_sim.

For each server and each N (addresses: the first N hosts of 127.12.0.0/16, UDP 623):

* vrack: generate a spec of N compute nodes, ``python -m vrack up`` it; ``bound``
  is when control.json says running, ``answering`` when the last BMC answered a
  Get Channel Authentication Capabilities probe (sent only after ``bound``);
* pyghmi: one process holding N ``Bmc`` objects; ``bound`` is its ``ready`` line;
* ipmi_sim: N processes (that is how it is used); ``bound`` is when all are
  spawned, probing starts at once (it prints no readiness signal).

Memory is read after every BMC answered: VmRSS summed over the server's
processes, and PSS (shared pages split between processes, fairer for N
ipmi_sim processes sharing libraries).  Times count from just before the
first process was spawned.

    python -m bench.bmc_scale [--sizes 10 100 1000] [--ipmi-sim-max 100]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.peers import PeerError, Processes, start_ipmi_sim, start_pyghmi, start_vrack, vrack_spec
from bench.probe import wait_answering
from bench.procinfo import load_average, pss_kib, rss_kib, thread_count

NETWORK = "127.12.0.0/16"
SERVERS = ("ipmi_sim", "pyghmi", "vrack")


def first_hosts(count: int, network: str = NETWORK) -> list[str]:
    """The first ``count`` host addresses of ``network`` (the order pyghmi_peer and ipmi_sim use)."""
    hosts = ipaddress.IPv4Network(network).hosts()
    return [str(next(hosts)) for _ in range(count)]


def vrack_bmc_hosts(spec_path: Path) -> list[str]:
    """BMC addresses of a spec as vrack will assign them (its own planner; pure, no sockets)."""
    from vrack.plan import build_plan
    from vrack.spec import load_spec

    return [str(node.bmc_address) for node in build_plan(load_spec(spec_path)).nodes]


def _memory(pids: list[int]) -> tuple[int, int, int]:
    """(RSS KiB, PSS KiB, threads) summed over ``pids``."""
    rss = sum(rss_kib(pid) or 0 for pid in pids)
    pss = sum(pss_kib(pid) or 0 for pid in pids)
    threads = sum(thread_count(pid) or 0 for pid in pids)
    return rss, pss, threads


def _row(
    server: str, count: int, t0: float, bound: float, answered: dict[str, float], hosts: list[str], pids: list[int]
) -> dict[str, Any]:
    rss, pss, threads = _memory(pids)
    missing = len(hosts) - len(answered)
    return {
        "server": server,
        "bmcs": count,
        "processes": len(pids),
        "threads": threads,
        "bound_s": round(bound - t0, 3),
        "all_answer_s": round(max(answered.values()) - t0, 3) if answered and not missing else None,
        "not_answering": missing,
        "rss_kib": rss,
        "pss_kib": pss,
        "rss_per_bmc_kib": round(rss / count, 1),
        "pss_per_bmc_kib": round(pss / count, 1),
    }


def measure_vrack(count: int, workdir: Path, timeout: float) -> dict[str, Any]:
    procs = Processes()
    rack = f"bench-scale-{count}"
    spec_text = vrack_spec(rack, NETWORK, count)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{rack}.yaml").write_text(spec_text, encoding="utf-8")
    hosts = vrack_bmc_hosts(workdir / f"{rack}.yaml")
    try:
        t0 = time.monotonic()
        proc, bound = start_vrack(procs, workdir, rack, spec_text, timeout=timeout)
        answered = asyncio.run(wait_answering(hosts, timeout=timeout))
        return _row("vrack", count, t0, bound, answered, hosts, [proc.pid])
    finally:
        procs.stop_all()


def measure_pyghmi(count: int, workdir: Path, timeout: float) -> dict[str, Any]:
    procs = Processes()
    hosts = first_hosts(count)
    try:
        t0 = time.monotonic()
        proc, bound = start_pyghmi(procs, workdir / "pyghmi.log", count=count, network=NETWORK, timeout=timeout)
        answered = asyncio.run(wait_answering(hosts, timeout=timeout))
        return _row("pyghmi", count, t0, bound, answered, hosts, [proc.pid])
    finally:
        procs.stop_all()


def measure_ipmi_sim(count: int, workdir: Path, timeout: float) -> dict[str, Any]:
    procs = Processes()
    hosts = first_hosts(count)
    try:
        t0 = time.monotonic()
        started = [start_ipmi_sim(procs, workdir / f"sim{i:04d}", host) for i, host in enumerate(hosts)]
        bound = time.monotonic()
        answered = asyncio.run(wait_answering(hosts, timeout=timeout))
        return _row("ipmi_sim", count, t0, bound, answered, hosts, [p.pid for p in started])
    finally:
        procs.stop_all()


MEASURES: dict[str, Callable[[int, Path, float], dict[str, Any]]] = {
    "ipmi_sim": measure_ipmi_sim,
    "pyghmi": measure_pyghmi,
    "vrack": measure_vrack,
}


def run(
    sizes: tuple[int, ...] = (10, 100, 1000),
    servers: tuple[str, ...] = SERVERS,
    ipmi_sim_max: int = 100,
    workdir: Path | None = None,
    timeout: float = 60.0,
    report: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Every server at every size (ipmi_sim only up to ``ipmi_sim_max``); one row each, errors included."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vrack-scale-") as tmp:
        base = workdir or Path(tmp)
        for count in sizes:
            for server in servers:
                if server == "ipmi_sim" and count > ipmi_sim_max:
                    report(f"  ipmi_sim N={count}: skipped (over --ipmi-sim-max {ipmi_sim_max})")
                    rows.append({"server": server, "bmcs": count, "skipped": True})
                    continue
                load = load_average()
                try:
                    row = MEASURES[server](count, base / f"{server}-{count}", timeout)
                except (PeerError, subprocess.TimeoutExpired, OSError) as exc:
                    report(f"  {server} N={count}: FAILED: {exc}")
                    rows.append({"server": server, "bmcs": count, "error": str(exc)})
                    continue
                row["loadavg_before"] = load
                rows.append(row)
                report(
                    f"  {server:<8} N={count:<5} bound {row['bound_s']:>6.2f} s  all answer {row['all_answer_s']} s  "
                    f"RSS {row['rss_kib'] / 1024:>7.1f} MiB  PSS {row['pss_kib'] / 1024:>7.1f} MiB  "
                    f"({row['rss_per_bmc_kib']} KiB RSS/BMC, {row['processes']} proc)"
                )
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000], help="BMC counts N")
    parser.add_argument("--ipmi-sim-max", type=int, default=100, help="largest N run as ipmi_sim processes")
    parser.add_argument("--scale-servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument("--scale-timeout", type=float, default=60.0, help="seconds allowed per start-up")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="BMC scale benchmark: start-up time and memory")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if any(not 1 <= n <= 5000 for n in args.sizes):
        parser.error("sizes must be 1..5000")
    rows = run(tuple(args.sizes), tuple(args.scale_servers), args.ipmi_sim_max, timeout=args.scale_timeout)
    json.dump(rows, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
