"""Redfish: a vrack BMC against sushy-tools on the same machine, same client, side by side in one run.

    python -m bench.redfish_bench [--duration 5] [--clients 1 4] [--bmcs 100]     (root: vrack binds TCP 443)

Each server in turn gets ``clients`` client processes (``requests`` sessions, keep-alive, HTTPS verified
against the server's CA, Basic auth admin/admin) for ``duration`` seconds of:

* ``GET`` of the ComputerSystem (vrack ``/redfish/v1/Systems/1``, sushy-tools its fake system);
* ``POST ComputerSystem.Reset``, ResetType alternating On and ForceOff.

Reported: requests/s, p50/p99 latency, server CPU per request (``/proc``), and vrack / sushy-tools ratios.
sushy-tools (``--fake`` driver) runs with an htpasswd file (bcrypt, 5 rounds: its cost per request is part of
Basic auth there) and, as a second row, without authentication.  Memory: RSS of a ``vrack up`` rack of
``bmcs`` nodes with Redfish off, with Redfish on, and after one HTTPS request to every BMC (each has then made
its TLS context); the difference per BMC is Redfish's memory.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.args import positive_int
from bench.peers import Processes, start_vrack
from bench.procinfo import cpu_seconds, rss_kib
from bench.redfish_peers import ensure_venv, start_sushy_tools, wait_tcp

VRACK_ADDRESS = "127.66.6.1"
SUSHY_ADDRESS, SUSHY_PORT, SUSHY_OPEN_PORT = "127.66.6.250", 8443, 8444
MEMORY_NETWORK = "127.66.7.0/24"

ONE_NODE = """\
rack: {rack}
seed: {rack}-seed
networks: {{management: 127.66.6.0/24}}
devices:
  - {{name: node01, kind: compute, model: quanta-d51, bmc: {{address: {address}, boot_time: 0}}}}
"""
MANY_NODES = """\
rack: {rack}
seed: {rack}-seed
networks: {{management: {network}}}
devices:
  - name: "node{{n:03d}}"
    kind: compute
    model: generic
    count: {count}
    bmc: {{boot_time: 0, redfish: {{enabled: {on}}}}}
"""


@dataclass(frozen=True)
class Target:
    name: str
    base: str  # https://host:port
    system: str  # path of the ComputerSystem
    verify: str | bool
    auth: tuple[str, str] | None
    pid: int


@dataclass(frozen=True)
class Result:
    server: str
    operation: str
    clients: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_us: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _worker(target: Target, operation: str, duration: float, seed: int) -> list[float]:
    session = requests.Session()  # verify= goes on each call: requests 2.32+ may not apply session.verify
    verify = target.verify
    if target.auth is not None:
        session.auth = target.auth
    url = target.base + target.system
    reset = f"{url}/Actions/ComputerSystem.Reset"
    kinds = itertools.cycle(["On", "ForceOff"] if seed % 2 == 0 else ["ForceOff", "On"])
    session.get(url, timeout=30, verify=verify).raise_for_status()  # connect, TLS, first auth outside the measurement
    latencies = []
    deadline = time.perf_counter() + duration
    while (start := time.perf_counter()) < deadline:
        if operation == "get":
            answer = session.get(url, timeout=30, verify=verify)
        else:
            answer = session.post(reset, json={"ResetType": next(kinds)}, timeout=30, verify=verify)
        if answer.status_code >= 400:
            raise RuntimeError(f"{target.name} {operation}: HTTP {answer.status_code} {answer.text[:200]}")
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def measure(target: Target, operation: str, clients: int, duration: float) -> Result:
    cpu_before = cpu_seconds(target.pid) or 0.0
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=clients) as pool:
        runs = list(pool.map(_worker, [target] * clients, [operation] * clients, [duration] * clients, range(clients)))
    elapsed = time.perf_counter() - began
    cpu = (cpu_seconds(target.pid) or 0.0) - cpu_before
    latencies = sorted(itertools.chain.from_iterable(runs))
    count = len(latencies)
    p99 = latencies[min(count - 1, int(count * 0.99))] if count else 0.0
    # the CPU window includes the clients' connect and warm-up requests: a small overestimate for both servers
    return Result(
        target.name,
        operation,
        clients,
        count,
        min(elapsed, duration + 0.5) if count else elapsed,
        statistics.median(latencies) if latencies else 0.0,
        p99,
        cpu / max(count, 1) * 1e6,
    )


def _system_path(base: str, verify: str | bool, auth: tuple[str, str] | None) -> str:
    members = requests.get(f"{base}/redfish/v1/Systems", verify=verify, auth=auth, timeout=30).json()["Members"]
    return str(members[0]["@odata.id"])


def _command_line(proc: subprocess.Popen[bytes]) -> str:
    """A started process's arguments as one string (Popen keeps a string or a sequence)."""
    args = proc.args
    if isinstance(args, (str, bytes, os.PathLike)):
        return str(args)
    return " ".join(map(str, args))


def throughput(work: Path, durations: float, client_counts: list[int]) -> list[Result]:
    bindir = ensure_venv()
    procs = Processes()
    results: list[Result] = []
    try:
        rack = "bench-redfish-load"
        proc, _ = start_vrack(procs, work / "vrack", rack, ONE_NODE.format(rack=rack, address=VRACK_ADDRESS))
        ca = str(work / "vrack" / "state" / rack / "redfish-ca.pem")
        wait_tcp(VRACK_ADDRESS, 443)
        targets = [
            Target("vrack", f"https://{VRACK_ADDRESS}", "/redfish/v1/Systems/1", ca, ("admin", "admin"), proc.pid)
        ]
        sushy_ca = start_sushy_tools(procs, bindir, SUSHY_ADDRESS, SUSHY_PORT, work / "sushy-auth")
        open_ca = start_sushy_tools(procs, bindir, SUSHY_ADDRESS, SUSHY_OPEN_PORT, work / "sushy-open", auth=False)
        for port, name, verify, auth in (
            (SUSHY_PORT, "sushy-tools", sushy_ca, ("admin", "admin")),
            (SUSHY_OPEN_PORT, "sushy-tools (no auth)", open_ca, None),
        ):
            wait_tcp(SUSHY_ADDRESS, port)
            base = f"https://{SUSHY_ADDRESS}:{port}"
            pid = next(p.pid for p in procs.running if str(port) in _command_line(p))
            targets.append(Target(name, base, _system_path(base, verify, auth), verify, auth, pid))
        for operation in ("get", "reset"):
            for clients in client_counts:
                for target in targets:
                    results.append(measure(target, operation, clients, durations))
    finally:
        procs.stop_all()
    return results


def memory(work: Path, count: int) -> dict[str, float]:
    """RSS in MiB of a ``count``-node rack: Redfish off, on, and on after one HTTPS GET to every BMC."""
    found: dict[str, float] = {}
    for on in (False, True):
        procs = Processes()
        rack = f"bench-redfish-mem-{'on' if on else 'off'}"
        try:
            spec = MANY_NODES.format(rack=rack, network=MEMORY_NETWORK, count=count, on=str(on).lower())
            proc, _ = start_vrack(procs, work / rack, rack, spec)
            found["off" if not on else "on"] = (rss_kib(proc.pid) or 0) / 1024
            if on:
                ca = str(work / rack / "state" / rack / "redfish-ca.pem")
                session = requests.Session()
                for host in range(1, count + 1):
                    address = f"127.66.7.{host}"
                    wait_tcp(address, 443)
                    session.get(f"https://{address}/redfish/v1/", verify=ca, timeout=30).raise_for_status()
                    session.close()  # a new TLS connection to the next BMC
                found["on, every BMC contacted"] = (rss_kib(proc.pid) or 0) / 1024
        finally:
            procs.stop_all()
    return found


def report(results: list[Result], mem: dict[str, float], count: int) -> str:
    lines = [
        "| server | operation | clients | req/s | p50 ms | p99 ms | server CPU us/request |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.server} | {r.operation} | {r.clients} | {r.rate:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{r.cpu_us:,.0f} |"
        )
    lines.append("")
    by = {(r.server, r.operation, r.clients): r for r in results}
    for (server, operation, clients), mine in by.items():
        if server != "vrack":
            continue
        for peer in ("sushy-tools", "sushy-tools (no auth)"):
            other = by.get((peer, operation, clients))
            if other is not None and other.requests and mine.requests:
                lines.append(
                    f"vrack / {peer}, {operation}, {clients} clients: req/s {mine.rate / other.rate:.2f}x, "
                    f"p50 {mine.p50_ms / other.p50_ms:.2f}x, CPU/request {mine.cpu_us / other.cpu_us:.2f}x"
                )
    if mem:
        off, on, used = mem["off"], mem["on"], mem["on, every BMC contacted"]
        lines.append("")
        lines.append(
            f"memory, {count} BMCs: Redfish off {off:.1f} MiB, on {on:.1f} MiB, after one HTTPS request to "
            f"each {used:.1f} MiB: {(on - off) * 1024 / count:.0f} KiB per BMC idle, "
            f"{(used - off) * 1024 / count:.0f} KiB per BMC with its TLS context"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.redfish_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per server, operation and client count")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4], help="client process counts")
    parser.add_argument("--bmcs", type=positive_int, default=100, help="rack size for the memory measurement (max 250)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="redfish-bench-") as tmp:
        work = Path(tmp)
        results = throughput(work, args.duration, args.clients)
        mem = memory(work, args.bmcs)
    print(report(results, mem, args.bmcs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
