"""Request throughput and latency: ipmi_sim, pyghmi's stock BMC and vrack under identical load.

For each server in turn: start it in its own process group (ipmi_sim on
127.16.0.1, pyghmi on 127.16.0.2, a one-node vrack on 127.16.0.3 (hosts 1-3 of ``--network``), all UDP 623,
admin/admin), wait until it answers, run :mod:`bench.ipmi_load` in a separate
process once per client count, read the server's RSS, stop it.  Servers run
one after another, never at the same time, so they never compete for the CPU.
With ``--rounds R`` all servers are up at once (idle but for the one loaded) and
the load alternates between them R times, D/R seconds each: on a machine that
other work shares, that work then falls on every server alike, where one long
window per server can catch a quiet minute for one and a busy one for another.

    python -m bench.load_bench [--clients 8 32] [--duration 10] [--processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.peers import PeerError, Processes, run_in_group, start_ipmi_sim, start_pyghmi, start_vrack
from bench.probe import wait_answering
from bench.procinfo import load_average, rss_kib

SERVERS = ("ipmi_sim", "pyghmi", "vrack")
NETWORK = "127.16.0.0/24"
HOSTS = {"ipmi_sim": 1, "pyghmi": 2, "vrack": 3}
SPLIT_KEYS = (
    "server_user_us_per_request",
    "server_sys_us_per_request",
    "server_voluntary_switches_per_request",
    "server_involuntary_switches_per_request",
)

VRACK_ONE_NODE = """\
rack: bench-load
seed: bench-load-seed
networks:
  management: {network}
devices:
  - name: node01
    kind: compute
    model: generic
    bmc:
      address: {address}
      boot_time: 0
      session_limit: 64
      users:
        - {{name: admin, password: admin}}
"""


@dataclass(frozen=True)
class LoadPlan:
    """Identical load parameters for every server."""

    clients: tuple[int, ...] = (8, 32)
    duration: float = 10.0
    warmup: float = 1.0
    processes: int = 2
    servers: tuple[str, ...] = SERVERS
    network: str = NETWORK
    rounds: int = 1

    def address(self, server: str) -> str:
        """The server's address: host 1, 2 or 3 of ``network`` (ipmi_sim, pyghmi, vrack)."""
        return str(ipaddress.ip_network(self.network)[HOSTS[server]])


def _start(server: str, plan: LoadPlan, procs: Processes, workdir: Path) -> subprocess.Popen[bytes]:
    address = plan.address(server)
    if server == "ipmi_sim":
        return start_ipmi_sim(procs, workdir / "ipmi_sim", address)
    if server == "pyghmi":
        proc, _ = start_pyghmi(procs, workdir / "pyghmi.log", addresses=[address])
        return proc
    proc, _ = start_vrack(
        procs, workdir / "vrack", "bench-load", VRACK_ONE_NODE.format(address=address, network=plan.network)
    )
    return proc


def _split(result: dict[str, Any]) -> str:
    """The server's CPU per request as user + system us, and its context switches per request."""
    if "server_user_us_per_request" not in result:
        return ""
    return (
        f"({result['server_user_us_per_request']} user + {result['server_sys_us_per_request']} sys; "
        f"switches/req {result['server_voluntary_switches_per_request']} vol "
        f"{result['server_involuntary_switches_per_request']} invol)"
    )


def run_load_process(address: str, clients: int, plan: LoadPlan, server_pid: int) -> dict[str, Any]:
    """Run ``python -m bench.ipmi_load`` (its own process) and return its JSON result."""
    argv = [
        sys.executable, "-m", "bench.ipmi_load", "--host", address, "--clients", str(clients),
        "--duration", str(plan.duration), "--warmup", str(plan.warmup),
        "--processes", str(min(plan.processes, clients)), "--server-pid", str(server_pid),
    ]  # fmt: skip
    budget = plan.warmup + plan.duration + 60
    code, out, err = run_in_group(argv, timeout=budget)
    lines = out.decode().strip().splitlines()
    if not lines:
        raise PeerError(f"load generator failed (exit {code}): {err.decode()[-1000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measure_server(
    server: str, plan: LoadPlan, workdir: Path, report: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    """Start ``server``, run every client count against it, stop it; one row per client count."""
    procs = Processes()
    rows: list[dict[str, Any]] = []
    try:
        proc = _start(server, plan, procs, workdir)
        address = plan.address(server)
        answered = asyncio.run(wait_answering([address], timeout=30))
        if address not in answered:
            raise PeerError(f"{server} on {address}:623 never answered")
        for clients in plan.clients:
            load_before = load_average()
            result = run_load_process(address, clients, plan, proc.pid)
            result.update(server=server, rss_kib=rss_kib(proc.pid), loadavg_before=load_before)
            rows.append(result)
            report(
                f"  {server:<8} K={clients:<3} {result['rps']:>9.0f} req/s  p50 {result['p50_us']:>8.0f} us  "
                f"p99 {result['p99_us']:>8.0f} us  server {result['server_cpu_per_request_us']} us CPU/req  "
                f"timeouts {result['timeouts']} errors {result['errors']}"
            )
    finally:
        procs.stop_all()
    return rows


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from the rounds of one server and client count: requests, errors, time and CPU summed (so the
    CPU per request is total CPU over total requests); p50/p90/p99 are the median of the rounds' own."""
    row = dict(rounds[-1])
    duration = sum(r["duration_s"] for r in rounds)
    ok = sum(r["requests_ok"] for r in rounds)
    for key in ("errors", "timeouts", "strays", "malformed"):
        row[key] = sum(r[key] for r in rounds)
    for key in ("p50_us", "p90_us", "p99_us"):
        row[key] = statistics.median(r[key] for r in rounds)
    for key in SPLIT_KEYS:  # per request: weighted by each round's answered requests
        if ok and all(key in r for r in rounds):
            row[key] = round(sum(r[key] * r["requests_ok"] for r in rounds) / ok, 3)
    server = [r["server_cpu_s"] for r in rounds]
    server_cpu = None if None in server else sum(server)
    row.update(
        duration_s=round(duration, 3),
        requests_ok=ok,
        rps=round(ok / duration, 1),
        max_us=max(r["max_us"] for r in rounds),
        mean_us=round(sum(r["mean_us"] * r["requests_ok"] for r in rounds) / ok, 1) if ok else 0.0,
        client_cpu_util=round(sum(r["client_cpu_util"] * r["duration_s"] for r in rounds) / duration, 3),
        other_cpu_util=round(sum(r["other_cpu_util"] * r["duration_s"] for r in rounds) / duration, 3),
        server_cpu_s=None if server_cpu is None else round(server_cpu, 3),
        server_cpu_util=None if server_cpu is None else round(server_cpu / duration, 3),
        server_cpu_per_request_us=round(server_cpu / ok * 1e6, 1) if server_cpu is not None and ok else None,
        rounds=len(rounds),
        loadavg_before=rounds[0]["loadavg_before"],
    )
    return row


def run_interleaved(plan: LoadPlan, workdir: Path, report: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Every server up at once; ``plan.rounds`` times, each client count against each server in turn for
    ``duration / rounds`` seconds, so that other work on the machine falls on every server alike."""
    procs = Processes()
    started: dict[str, subprocess.Popen[bytes]] = {}
    failed: list[dict[str, Any]] = []
    rounds: dict[tuple[str, int], list[dict[str, Any]]] = {}
    share = replace(plan, duration=plan.duration / plan.rounds)
    try:
        for server in plan.servers:
            try:
                started[server] = _start(server, plan, procs, workdir / server)
                if plan.address(server) not in asyncio.run(wait_answering([plan.address(server)], timeout=30)):
                    raise PeerError(f"{server} on {plan.address(server)}:623 never answered")
            except (PeerError, subprocess.TimeoutExpired) as exc:
                report(f"  {server}: FAILED: {exc}")
                failed.append({"server": server, "error": str(exc)})
                started.pop(server, None)
        for number in range(plan.rounds):
            for clients in plan.clients:
                for server, proc in started.items():
                    load_before = load_average()
                    result = run_load_process(plan.address(server), clients, share, proc.pid)
                    result.update(server=server, rss_kib=rss_kib(proc.pid), loadavg_before=load_before)
                    rounds.setdefault((server, clients), []).append(result)
                    report(
                        f"  round {number + 1} {server:<8} K={clients:<3} {result['rps']:>9.0f} req/s  "
                        f"server {result['server_cpu_per_request_us']} us CPU/req {_split(result)} "
                        f"other CPU {result['other_cpu_util']}"
                    )
    finally:
        procs.stop_all()
    rows = [combine(rounds[server, clients]) for server in started for clients in plan.clients]
    return rows + failed


def run(plan: LoadPlan, workdir: Path, report: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """All servers, one after another; a server that fails to start is reported and skipped.  With
    ``plan.rounds`` above 1: :func:`run_interleaved`."""
    if plan.rounds > 1:
        return run_interleaved(plan, workdir, report)
    rows: list[dict[str, Any]] = []
    for server in plan.servers:
        started = time.monotonic()
        try:
            rows.extend(measure_server(server, plan, workdir / server, report))
        except (PeerError, subprocess.TimeoutExpired) as exc:
            report(f"  {server}: FAILED: {exc}")
            rows.append({"server": server, "error": str(exc)})
        report(f"  ({server} took {time.monotonic() - started:.1f} s)")
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32], help="client counts K")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run (D)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--processes", type=int, default=2, help="client processes sharing the K clients")
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument(
        "--network", default=NETWORK, help="loopback network; the servers take its hosts 1, 2, 3 (default %(default)s)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="R > 1: all servers up at once, the load alternating between them R times (D/R seconds each), "
        "so that other work on the machine falls on each alike",
    )


def plan_from(args: argparse.Namespace) -> LoadPlan:
    return LoadPlan(
        clients=tuple(args.clients),
        duration=args.duration,
        warmup=args.warmup,
        processes=args.processes,
        servers=tuple(args.servers),
        network=args.network,
        rounds=max(1, args.rounds),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="IPMI request benchmark: ipmi_sim vs pyghmi vs vrack")
    add_arguments(parser)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vrack-bench-") as tmp:
        rows = run(plan_from(args), Path(tmp))
    json.dump(rows, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
