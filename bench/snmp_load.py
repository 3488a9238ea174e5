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
import sys
import time
from dataclasses import dataclass
from typing import Any, cast

from bench.loadloop import ClientStats, PartResult, Window, run_parts, sleep_until, summarize, window_times
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
    warmup_ns, start_ns, end_ns = window_times(config.warmup, config.duration)
    for protocol in protocols:
        protocol.start_ns, protocol.end_ns = start_ns, end_ns
    await sleep_until(warmup_ns)
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
    await sleep_until(start_ns)
    window = Window(config.server_pid, start_ns)
    await asyncio.gather(*(p.done for p in protocols))
    part = window.close([p.stats for p in protocols])
    await sweeper
    for protocol in protocols:
        if protocol.transport is not None:
            protocol.transport.close()
    return part


def run_load(config: LoadConfig) -> dict[str, Any]:
    """Run the whole load and aggregate the parts into one result row (latencies in microseconds)."""
    budget = config.warmup + config.duration + config.timeout + 60
    parts = run_parts(functools.partial(run_part, config), config.clients, config.processes, budget)
    head = {"host": config.host, "clients": config.clients, "processes": config.processes, "oids": list(config.oids)}
    return head | summarize(parts)


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
