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
import functools
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.loadloop import ClientStats, PartResult, Window, run_parts, sleep_until, summarize, window_times
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
    await sleep_until(warmup_ns)
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


async def run_part(config: LoadConfig, clients: int, first_client: int = 0, barrier: Any = None) -> PartResult:
    """One process's share: open ``clients`` sessions, wait at ``barrier``, run the window, close."""
    opened = await asyncio.gather(*(open_session(config) for _ in range(clients)))
    sessions = [pair for pair in opened if pair is not None]
    if barrier is not None:
        barrier.wait(timeout=60)  # every process has its sessions: start together
    warmup_ns, start_ns, end_ns = window_times(config.warmup, config.duration)
    hammers = asyncio.gather(*(_hammer(e, s, warmup_ns, start_ns, end_ns, config.timeout) for e, s in sessions))
    await sleep_until(start_ns)
    window = Window(config.server_pid, start_ns)
    per_client = list(await hammers)
    strays = sum(e.strays for e, _ in sessions)
    part = window.close([*per_client, ClientStats(strays=strays)], sessions_opened=len(sessions))
    await asyncio.gather(*(_close(e, s, config.timeout) for e, s in sessions))
    return part


def run_load(config: LoadConfig) -> dict[str, Any]:
    """Run the whole load (in one or several client processes) and aggregate the parts into one row."""
    budget = config.duration + 3 * config.handshake_attempts * config.timeout + 30
    parts = run_parts(functools.partial(run_part, config), config.clients, config.processes, budget)
    opened = sum(part.sessions_opened for part in parts)
    head = {"host": config.host, "clients": config.clients, "processes": config.processes}
    return head | {"sessions_opened": opened, "session_failures": config.clients - opened} | summarize(parts)


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
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0 if result["requests_ok"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
