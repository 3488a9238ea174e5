"""IPMI load generator: K concurrent RMCP+ clients hammering Get Chassis Status for D seconds.

Run it in its own process (never next to the server it measures)::

    python -m bench.ipmi_load --host 127.16.0.1 --clients 8 --duration 10 [--server-pid PID]

Each client opens its own RMCP+ session (cipher suite 3, ADMINISTRATOR), then
all start together and send Get Chassis Status (netfn 0, cmd 1) back to back,
one request outstanding per client, timing each with ``perf_counter_ns``; the
first ``--warmup`` seconds are not counted.  ``--processes P`` spreads the
clients over P forked client processes (one Python process cannot saturate a
C server) that start their windows together.  A request unanswered after
``--timeout`` counts as a timeout and the client moves on with a new sequence
number.  The result (one JSON object on stdout) holds
requests/s, latency percentiles, errors, timeouts and, given ``--server-pid``,
the server's CPU time per request read from ``/proc``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.procinfo import cpu_seconds, machine_cpu_seconds
from bench.rmcpplus_client import IpmiResponse, ProtocolError, Session
from bench.udp import Endpoint

NETFN_CHASSIS = 0x00
CMD_GET_CHASSIS_STATUS = 0x01


@dataclass(frozen=True)
class LoadConfig:
    """What to run: target, concurrency, duration, credentials, per-request timeout."""

    host: str
    port: int = 623
    clients: int = 8
    duration: float = 10.0
    username: str = "admin"
    password: str = "admin"
    timeout: float = 1.0
    handshake_attempts: int = 3
    server_pid: int | None = None
    processes: int = 1
    warmup: float = 1.0


@dataclass
class ClientStats:
    """What one client saw during the measured window."""

    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0


@dataclass(frozen=True)
class LoadResult:
    """Aggregate of one run; latencies in microseconds."""

    host: str
    clients: int
    processes: int
    sessions_opened: int
    session_failures: int
    duration_s: float
    requests_ok: int
    errors: int
    timeouts: int
    strays: int
    rps: float
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float
    mean_us: float
    client_cpu_util: float
    server_cpu_s: float | None
    server_cpu_util: float | None
    server_cpu_per_request_us: float | None
    other_cpu_util: float


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list (0 for an empty list)."""
    if not sorted_values:
        return 0
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values) - 1e-9)))
    return sorted_values[rank - 1]


async def open_session(config: LoadConfig) -> tuple[Endpoint, Session] | None:
    """Open one RMCP+ session (retrying the whole handshake), or ``None`` if every attempt failed."""
    for _ in range(config.handshake_attempts):
        endpoint = await Endpoint.connect(config.host, config.port)
        session = Session(config.username, config.password)
        rakp1 = await endpoint.exchange(session.open_request(), session.rakp1, config.timeout)
        rakp3 = rakp1 and await endpoint.exchange(rakp1, session.rakp3, config.timeout)
        if rakp3 and await endpoint.exchange(rakp3, _accepted(session), config.timeout):
            return endpoint, session
        endpoint.close()
    return None


def _accepted(session: Session) -> Any:
    def parse(datagram: bytes) -> bool:
        session.accept_rakp4(datagram)
        return True

    return parse


def _answer_to(session: Session, rq_seq: int, cmd: int) -> Any:
    def parse(datagram: bytes) -> IpmiResponse:
        response = session.response(datagram)
        if response.rq_seq != rq_seq or response.cmd != cmd:
            raise ProtocolError("answer to an earlier request")
        return response

    return parse


async def _hammer(
    endpoint: Endpoint, session: Session, warmup_ns: int, start_ns: int, end_ns: int, timeout: float
) -> ClientStats:
    """Send back to back from ``warmup_ns``; count only requests sent in [start_ns, end_ns)."""
    stats = ClientStats()
    await asyncio.sleep(max(0.0, (warmup_ns - time.perf_counter_ns()) / 1e9))
    while time.perf_counter_ns() < end_ns:
        datagram, rq_seq = session.request(NETFN_CHASSIS, CMD_GET_CHASSIS_STATUS)
        parse = _answer_to(session, rq_seq, CMD_GET_CHASSIS_STATUS)
        sent = time.perf_counter_ns()
        response = await endpoint.exchange(datagram, parse, timeout)
        elapsed = time.perf_counter_ns() - sent
        if sent < start_ns:
            continue
        if response is None:
            stats.timeouts += 1
        elif response.completion_code != 0 or len(response.data) < 3:
            stats.errors += 1
        else:
            stats.latencies_ns.append(elapsed)
    return stats


async def _close(endpoint: Endpoint, session: Session, timeout: float) -> None:
    datagram, rq_seq = session.close_request()
    await endpoint.exchange(datagram, _answer_to(session, rq_seq, 0x3C), timeout)
    endpoint.close()


@dataclass
class PartResult:
    """What one client process measured (latencies are raw, for exact merged percentiles)."""

    latencies_ns: list[int]
    errors: int
    timeouts: int
    strays: int
    sessions_opened: int
    window_s: float
    client_cpu_s: float
    server_cpu_s: float | None
    machine_busy_s: float


async def run_part(config: LoadConfig, clients: int, barrier: Any = None) -> PartResult:
    """One process's share: open ``clients`` sessions, wait at ``barrier``, run the window, close."""
    opened = await asyncio.gather(*(open_session(config) for _ in range(clients)))
    sessions = [pair for pair in opened if pair is not None]
    if barrier is not None:
        barrier.wait(timeout=60)  # every process has its sessions: start together
    warmup_ns = time.perf_counter_ns() + 20_000_000
    start_ns = warmup_ns + int(config.warmup * 1e9)
    end_ns = start_ns + int(config.duration * 1e9)
    hammers = asyncio.gather(*(_hammer(e, s, warmup_ns, start_ns, end_ns, config.timeout) for e, s in sessions))
    await asyncio.sleep(max(0.0, (start_ns - time.perf_counter_ns()) / 1e9))
    cpu_before = time.process_time()
    server_before = cpu_seconds(config.server_pid) if config.server_pid else None
    machine_before, _ = machine_cpu_seconds()
    per_client = await hammers
    finished_ns = time.perf_counter_ns()
    server_after = cpu_seconds(config.server_pid) if config.server_pid else None
    machine_after, _ = machine_cpu_seconds()
    client_cpu = time.process_time() - cpu_before
    strays = sum(e.strays for e, _ in sessions)
    await asyncio.gather(*(_close(e, s, config.timeout) for e, s in sessions))
    return PartResult(
        latencies_ns=[v for stats in per_client for v in stats.latencies_ns],
        errors=sum(s.errors for s in per_client),
        timeouts=sum(s.timeouts for s in per_client),
        strays=strays,
        sessions_opened=len(sessions),
        window_s=max(1e-9, (finished_ns - start_ns) / 1e9),
        client_cpu_s=client_cpu,
        server_cpu_s=None if server_before is None or server_after is None else server_after - server_before,
        machine_busy_s=machine_after - machine_before,
    )


def _worker(config: LoadConfig, clients: int, barrier: Any, results: Any, index: int) -> None:
    part = asyncio.run(run_part(config, clients, barrier))
    results.put((index, part))


def _run_parts(config: LoadConfig) -> list[PartResult]:
    """Run the clients in ``config.processes`` forked processes that start their windows together."""
    shares = [
        config.clients // config.processes + (i < config.clients % config.processes) for i in range(config.processes)
    ]
    if config.processes == 1:
        return [asyncio.run(run_part(config, shares[0]))]
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(config.processes), context.Queue()
    workers = [
        context.Process(target=_worker, args=(config, share, barrier, results, i), daemon=True)
        for i, share in enumerate(shares)
    ]
    for worker in workers:
        worker.start()
    try:
        budget = config.duration + 3 * config.handshake_attempts * config.timeout + 30
        collected = dict(results.get(timeout=budget) for _ in workers)
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()
    # Only the first process measured the server's CPU over its window; the windows coincide.
    return [collected[i] for i in range(config.processes)]


def run_load(config: LoadConfig) -> LoadResult:
    """Run the whole load (in one or several client processes) and aggregate the parts."""
    parts = _run_parts(config)
    window = max(part.window_s for part in parts)
    latencies = sorted(v for part in parts for v in part.latencies_ns)
    server_cpu = parts[0].server_cpu_s
    client_cpu = sum(part.client_cpu_s for part in parts)
    other_cpu = parts[0].machine_busy_s - client_cpu - (server_cpu or 0.0)
    opened = sum(part.sessions_opened for part in parts)
    return LoadResult(
        host=config.host,
        clients=config.clients,
        processes=config.processes,
        sessions_opened=opened,
        session_failures=config.clients - opened,
        duration_s=round(window, 3),
        requests_ok=len(latencies),
        errors=sum(part.errors for part in parts),
        timeouts=sum(part.timeouts for part in parts),
        strays=sum(part.strays for part in parts),
        rps=round(len(latencies) / window, 1),
        p50_us=round(percentile(latencies, 0.50) / 1e3, 1),
        p90_us=round(percentile(latencies, 0.90) / 1e3, 1),
        p99_us=round(percentile(latencies, 0.99) / 1e3, 1),
        max_us=round((latencies[-1] if latencies else 0) / 1e3, 1),
        mean_us=round(sum(latencies) / len(latencies) / 1e3, 1) if latencies else 0.0,
        client_cpu_util=round(client_cpu / window, 3),
        server_cpu_s=None if server_cpu is None else round(server_cpu, 3),
        server_cpu_util=None if server_cpu is None else round(server_cpu / window, 3),
        server_cpu_per_request_us=(
            round(server_cpu / len(latencies) * 1e6, 1) if server_cpu is not None and latencies else None
        ),
        other_cpu_util=round(max(0.0, other_cpu) / window, 3),
    )


def parse_args(argv: list[str] | None = None) -> LoadConfig:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", required=True, help="BMC address (keep it in 127.0.0.0/8)")
    parser.add_argument("--port", type=int, default=623)
    parser.add_argument("--clients", type=int, default=8, help="concurrent sessions (K)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds (D)")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds before a request counts as a timeout")
    parser.add_argument("--server-pid", type=int, help="server process whose CPU time to report")
    parser.add_argument("--processes", type=int, default=1, help="client processes sharing the K clients")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds of load before the window")
    args = parser.parse_args(argv)
    if not args.host.startswith("127."):
        parser.error("benchmarks only send traffic to 127.0.0.0/8")
    if not 1 <= args.clients <= 256 or not 0 < args.duration <= 600 or not 1 <= args.processes <= args.clients:
        parser.error("--clients must be 1..256, --processes 1..clients and --duration 0..600 s")
    return LoadConfig(
        host=args.host,
        port=args.port,
        clients=args.clients,
        duration=args.duration,
        username=args.username,
        password=args.password,
        timeout=args.timeout,
        server_pid=args.server_pid,
        processes=args.processes,
        warmup=args.warmup,
    )


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    result = run_load(config)
    json.dump(asdict(result), sys.stdout)
    sys.stdout.write("\n")
    return 0 if result.requests_ok > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
