"""SNMP GET load generator: K concurrent v2c clients sending pre-encoded GETs for D seconds.

Run it in its own process (never next to the server it measures)::

    python -m bench.snmp_load --host 127.18.0.3 --clients 4 --duration 5 [--server-pid PID]

Each client owns one UDP socket and keeps one request outstanding: when the
answer arrives it sends the next at once.  Requests are GETs of one varbind,
rotating over ``--oid`` (default sysDescr.0, ifOperStatus.1, ifInOctets.1),
encoded once by pysnmp's protocol API; only the request-id changes.  Every
request is timed with ``perf_counter_ns``; the first ``--warmup`` seconds
are not counted.  An answer with a non-zero error-status or an exception
value (noSuchObject, noSuchInstance, endOfMibView) counts as an error; a
request unanswered after ``--timeout`` as a timeout (the client moves on).
``--processes P`` spreads the clients over P forked processes that start
together (one Python process cannot saturate a C agent).  The result is one
JSON object on stdout: requests/s, latency percentiles, errors, and, given
``--server-pid``, the server's CPU time per request read from ``/proc``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import sys
import time
from dataclasses import dataclass, field
from typing import Any, cast

from bench.ipmi_load import percentile
from bench.procinfo import cpu_seconds, machine_cpu_seconds
from bench.snmp_wire import REQUEST_ID_MIN, MalformedResponse, Oid, RequestTemplate, parse_oid, response_summary

DEFAULT_OIDS = ("1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.2.2.1.8.1", "1.3.6.1.2.1.2.2.1.10.1")
_IDS_PER_CLIENT = 1 << 22  # request-id block of one client: 256 clients fit the 31-bit range


@dataclass(frozen=True)
class LoadConfig:
    """Target, concurrency, duration, OIDs and per-request timeout."""

    host: str
    port: int = 161
    community: str = "public"
    clients: int = 4
    duration: float = 5.0
    oids: tuple[str, ...] = DEFAULT_OIDS
    timeout: float = 1.0
    server_pid: int | None = None
    processes: int = 1
    warmup: float = 1.0


@dataclass
class ClientStats:
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    strays: int = 0
    malformed: int = 0


class GetClient(asyncio.DatagramProtocol):
    """One socket, one outstanding GET; sends the next request from the answer callback."""

    def __init__(self, templates: list[RequestTemplate], first_id: int) -> None:
        self.templates = templates
        self.first_id = first_id
        self.start_ns = self.end_ns = 0  # set by run_part when the window is known
        self.stats = ClientStats()
        self.transport: asyncio.DatagramTransport | None = None
        self.sent = 0
        self.request_id = 0
        self.sent_ns = 0
        self.outstanding = False
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def send_next(self, now: int) -> None:
        """Send the next request, or finish if the window has closed."""
        if now >= self.end_ns:
            self.outstanding = False
            if not self.done.done():
                self.done.set_result(None)
            return
        assert self.transport is not None
        template = self.templates[self.sent % len(self.templates)]
        self.request_id = self.first_id + self.sent % _IDS_PER_CLIENT
        self.sent += 1
        self.outstanding = True
        self.sent_ns = time.perf_counter_ns()
        self.transport.sendto(template.render(self.request_id))

    def datagram_received(self, data: bytes, addr: Any) -> None:
        now = time.perf_counter_ns()
        try:
            request_id, status, exceptions = response_summary(data)
        except MalformedResponse:
            self.stats.malformed += 1
            return
        if not self.outstanding or request_id != self.request_id:
            self.stats.strays += 1
            return
        if self.sent_ns >= self.start_ns:
            if status or exceptions:
                self.stats.errors += 1
            else:
                self.stats.latencies_ns.append(now - self.sent_ns)
        self.send_next(now)

    def expire(self, now: int, timeout_ns: int) -> None:
        """Give up on a request older than ``timeout_ns`` and move on."""
        if self.outstanding and now - self.sent_ns > timeout_ns:
            if self.sent_ns >= self.start_ns:
                self.stats.timeouts += 1
            self.send_next(now)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors are ignored: the request times out."""


@dataclass
class PartResult:
    """What one client process measured (raw latencies, for exact merged percentiles)."""

    latencies_ns: list[int]
    errors: int
    timeouts: int
    strays: int
    malformed: int
    window_s: float
    client_cpu_s: float
    server_cpu_s: float | None
    machine_busy_s: float


async def run_part(config: LoadConfig, clients: int, first_client: int = 0, barrier: Any = None) -> PartResult:
    """One process's share: clients ``first_client..+clients``, wait at ``barrier``, load for warm-up + duration."""
    oids: list[Oid] = [parse_oid(text) for text in config.oids]
    templates = [RequestTemplate(config.community, [oid]) for oid in oids]
    loop = asyncio.get_running_loop()
    protocols: list[GetClient] = []
    for n in range(clients):
        factory = functools.partial(GetClient, templates, REQUEST_ID_MIN + (first_client + n) * _IDS_PER_CLIENT)
        _, protocol = await loop.create_datagram_endpoint(factory, remote_addr=(config.host, config.port))
        protocols.append(protocol)
    if barrier is not None:
        barrier.wait(timeout=60)  # every process has its sockets: start together
    warmup_ns = time.perf_counter_ns() + 20_000_000
    start_ns = warmup_ns + int(config.warmup * 1e9)
    end_ns = start_ns + int(config.duration * 1e9)
    for protocol in protocols:
        protocol.start_ns, protocol.end_ns = start_ns, end_ns
    await asyncio.sleep(max(0.0, (warmup_ns - time.perf_counter_ns()) / 1e9))
    for protocol in protocols:
        protocol.send_next(time.perf_counter_ns())
    timeout_ns = int(config.timeout * 1e9)

    async def sweep() -> None:
        while not all(p.done.done() for p in protocols):
            now = time.perf_counter_ns()
            for protocol in protocols:
                protocol.expire(now, timeout_ns)
            await asyncio.sleep(0.01)

    sweeper = asyncio.ensure_future(sweep())
    await asyncio.sleep(max(0.0, (start_ns - time.perf_counter_ns()) / 1e9))
    cpu_before = time.process_time()
    server_before = cpu_seconds(config.server_pid) if config.server_pid else None
    machine_before, _ = machine_cpu_seconds()
    await asyncio.gather(*(p.done for p in protocols))
    finished_ns = time.perf_counter_ns()
    server_after = cpu_seconds(config.server_pid) if config.server_pid else None
    machine_after, _ = machine_cpu_seconds()
    client_cpu = time.process_time() - cpu_before
    await sweeper
    for protocol in protocols:
        if protocol.transport is not None:
            protocol.transport.close()
    stats = [p.stats for p in protocols]
    return PartResult(
        latencies_ns=[v for s in stats for v in s.latencies_ns],
        errors=sum(s.errors for s in stats),
        timeouts=sum(s.timeouts for s in stats),
        strays=sum(s.strays for s in stats),
        malformed=sum(s.malformed for s in stats),
        window_s=max(1e-9, (finished_ns - start_ns) / 1e9),
        client_cpu_s=client_cpu,
        server_cpu_s=None if server_before is None or server_after is None else server_after - server_before,
        machine_busy_s=machine_after - machine_before,
    )


def _worker(config: LoadConfig, clients: int, first_client: int, index: int, barrier: Any, results: Any) -> None:
    results.put((index, asyncio.run(run_part(config, clients, first_client, barrier))))


def run_parts(config: LoadConfig) -> list[PartResult]:
    """Run the clients in ``config.processes`` forked processes whose windows start together."""
    shares = [
        config.clients // config.processes + (i < config.clients % config.processes) for i in range(config.processes)
    ]
    if config.processes == 1:
        return [asyncio.run(run_part(config, shares[0]))]
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(config.processes), context.Queue()
    workers = [
        context.Process(target=_worker, args=(config, share, sum(shares[:i]), i, barrier, results), daemon=True)
        for i, share in enumerate(shares)
    ]
    for worker in workers:
        worker.start()
    try:
        collected = dict(results.get(timeout=config.warmup + config.duration + config.timeout + 60) for _ in workers)
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()
    return [collected[i] for i in range(config.processes)]


def run_load(config: LoadConfig) -> dict[str, Any]:
    """Run the whole load and aggregate the parts into one result row (latencies in microseconds)."""
    parts = run_parts(config)
    window = max(part.window_s for part in parts)
    latencies = sorted(v for part in parts for v in part.latencies_ns)
    server_cpu = parts[0].server_cpu_s  # measured by the first process over the common window
    client_cpu = sum(part.client_cpu_s for part in parts)
    other_cpu = parts[0].machine_busy_s - client_cpu - (server_cpu or 0.0)
    ok = len(latencies)
    return {
        "host": config.host,
        "clients": config.clients,
        "processes": config.processes,
        "oids": list(config.oids),
        "duration_s": round(window, 3),
        "requests_ok": ok,
        "errors": sum(part.errors for part in parts),
        "timeouts": sum(part.timeouts for part in parts),
        "strays": sum(part.strays for part in parts),
        "malformed": sum(part.malformed for part in parts),
        "rps": round(ok / window, 1),
        "p50_us": round(percentile(latencies, 0.50) / 1e3, 1),
        "p90_us": round(percentile(latencies, 0.90) / 1e3, 1),
        "p99_us": round(percentile(latencies, 0.99) / 1e3, 1),
        "max_us": round((latencies[-1] if latencies else 0) / 1e3, 1),
        "mean_us": round(sum(latencies) / ok / 1e3, 1) if ok else 0.0,
        "client_cpu_util": round(client_cpu / window, 3),
        "server_cpu_s": None if server_cpu is None else round(server_cpu, 3),
        "server_cpu_util": None if server_cpu is None else round(server_cpu / window, 3),
        "server_cpu_per_request_us": round(server_cpu / ok * 1e6, 1) if server_cpu is not None and ok else None,
        "other_cpu_util": round(max(0.0, other_cpu) / window, 3),
    }


def parse_args(argv: list[str] | None = None) -> LoadConfig:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", required=True, help="agent address (keep it in 127.0.0.0/8)")
    parser.add_argument("--port", type=int, default=161)
    parser.add_argument("--community", default="public")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (K)")
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds (D)")
    parser.add_argument("--oid", action="append", help="OID to GET (repeatable; requests rotate over them)")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds before a request counts as a timeout")
    parser.add_argument("--server-pid", type=int, help="server process whose CPU time to report")
    parser.add_argument("--processes", type=int, default=1, help="client processes sharing the K clients")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds of load before the window")
    args = parser.parse_args(argv)
    if not args.host.startswith("127."):
        parser.error("benchmarks only send traffic to 127.0.0.0/8")
    if not 1 <= args.clients <= 256 or not 0 < args.duration <= 600 or not 1 <= args.processes <= min(8, args.clients):
        parser.error("--clients must be 1..256, --processes 1..min(8, clients) and --duration 0..600 s")
    oids = tuple(args.oid) if args.oid else DEFAULT_OIDS
    try:
        for text in oids:
            parse_oid(text)
    except ValueError:
        parser.error(f"--oid must be numeric, got {oids}")
    return LoadConfig(
        host=args.host,
        port=args.port,
        community=args.community,
        clients=args.clients,
        duration=args.duration,
        oids=oids,
        timeout=args.timeout,
        server_pid=args.server_pid,
        processes=args.processes,
        warmup=args.warmup,
    )


def main(argv: list[str] | None = None) -> int:
    result = run_load(parse_args(argv))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0 if result["requests_ok"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
