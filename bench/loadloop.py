"""What the request load generators share: client processes, the measured window and the summary row.

:mod:`bench.ipmi_load` (RMCP+ sessions) and :mod:`bench.snmp_load` (SNMP GETs) differ only in what
one client sends and how it checks the answer.  Everything around that is here:

* :func:`run_parts` forks P client processes (one Python process cannot keep a C server busy), each
  running ``part(clients, first_client, barrier)`` for its share of the K clients; they wait at a
  barrier until every process has its sockets (or sessions), then start their windows together;
* :class:`Window` times the measured window and reads the server's CPU time (``/proc``), this
  process's CPU time and the whole machine's busy time at its start and end;
* :func:`summarize` merges the parts into one row: requests/s, exact latency percentiles over all
  raw latencies, server CPU per answered request (also split into user and system time, with the
  server's voluntary and involuntary context switches per request), and "other" CPU (kernel network
  stack and everything else that was busy).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bench.procinfo import cpu_seconds, machine_cpu_seconds

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Part = Callable[[int, int, Any], Coroutine[Any, Any, "PartResult"]]
"""One client process's work: ``part(clients, first_client, barrier)``."""


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list (0 for an empty list)."""
    if not sorted_values:
        return 0
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values) - 1e-9)))
    return sorted_values[rank - 1]


@dataclass
class ClientStats:
    """What one client saw during the measured window."""

    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    strays: int = 0
    malformed: int = 0


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
    sessions_opened: int = 0
    server_detail: tuple[float, float, int, int] | None = None
    """The server's user and system CPU seconds, voluntary and involuntary context switches in the window."""


def server_detail(pid: int) -> tuple[float, float, int, int] | None:
    """(user s, system s, voluntary, involuntary context switches) of process ``pid`` (switches of its main
    thread, from ``/proc/PID/status``), or ``None`` if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            stat = handle.read()
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            status = dict(line.split(":", 1) for line in handle if ":" in line)
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (
        int(fields[11]) / _CLOCK_TICKS,
        int(fields[12]) / _CLOCK_TICKS,
        int(status["voluntary_ctxt_switches"]),
        int(status["nonvoluntary_ctxt_switches"]),
    )


def window_times(warmup: float, duration: float) -> tuple[int, int, int]:
    """(warm-up start, window start, window end) in ``perf_counter_ns``, starting 20 ms from now."""
    warmup_ns = time.perf_counter_ns() + 20_000_000
    start_ns = warmup_ns + int(warmup * 1e9)
    return warmup_ns, start_ns, start_ns + int(duration * 1e9)


async def sleep_until(deadline_ns: int) -> None:
    """Sleep on the running loop until ``perf_counter_ns()`` reaches ``deadline_ns``."""
    await asyncio.sleep(max(0.0, (deadline_ns - time.perf_counter_ns()) / 1e9))


class Window:
    """CPU readings at the start and end of the measured window (server, this process, machine)."""

    def __init__(self, server_pid: int | None, start_ns: int) -> None:
        self.server_pid = server_pid
        self.start_ns = start_ns
        self.cpu_before = time.process_time()
        self.server_before = cpu_seconds(server_pid) if server_pid else None
        self.detail_before = server_detail(server_pid) if server_pid else None
        self.machine_before, _ = machine_cpu_seconds()

    def close(self, stats: list[ClientStats], sessions_opened: int = 0) -> PartResult:
        """Read the counters again and return this process's part."""
        finished_ns = time.perf_counter_ns()
        server_after = cpu_seconds(self.server_pid) if self.server_pid else None
        detail_after = server_detail(self.server_pid) if self.server_pid else None
        detail = None
        if self.detail_before is not None and detail_after is not None:
            before = self.detail_before
            detail = (
                detail_after[0] - before[0],
                detail_after[1] - before[1],
                detail_after[2] - before[2],
                detail_after[3] - before[3],
            )
        machine_after, _ = machine_cpu_seconds()
        client_cpu = time.process_time() - self.cpu_before
        server_cpu = None if self.server_before is None or server_after is None else server_after - self.server_before
        return PartResult(
            latencies_ns=[v for s in stats for v in s.latencies_ns],
            errors=sum(s.errors for s in stats),
            timeouts=sum(s.timeouts for s in stats),
            strays=sum(s.strays for s in stats),
            malformed=sum(s.malformed for s in stats),
            window_s=max(1e-9, (finished_ns - self.start_ns) / 1e9),
            client_cpu_s=client_cpu,
            server_cpu_s=server_cpu,
            machine_busy_s=machine_after - self.machine_before,
            sessions_opened=sessions_opened,
            server_detail=detail,
        )


def shares(clients: int, processes: int) -> list[int]:
    """``clients`` split as evenly as possible over ``processes`` (the first ones take the remainder)."""
    return [clients // processes + (i < clients % processes) for i in range(processes)]


def _worker(part: Part, clients: int, first: int, index: int, barrier: Any, results: Any) -> None:
    results.put((index, asyncio.run(part(clients, first, barrier))))


def run_parts(part: Part, clients: int, processes: int, budget_s: float) -> list[PartResult]:
    """Run ``part`` in ``processes`` forked processes that start their windows together.

    Only the first process's server and machine readings are used by :func:`summarize`: the windows
    coincide.  Workers still alive ``budget_s`` after the start are killed.
    """
    split = shares(clients, processes)
    if processes == 1:
        return [asyncio.run(part(split[0], 0, None))]
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=_worker, args=(part, share, sum(split[:i]), i, barrier, results), daemon=True)
        for i, share in enumerate(split)
    ]
    for worker in workers:
        worker.start()
    try:
        collected = dict(results.get(timeout=budget_s) for _ in workers)
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()
    return [collected[i] for i in range(processes)]


def summarize(parts: list[PartResult]) -> dict[str, Any]:
    """The common row of a load run (latencies in microseconds, CPU as cores busy over the window)."""
    window = max(part.window_s for part in parts)
    latencies = sorted(v for part in parts for v in part.latencies_ns)
    server_cpu = parts[0].server_cpu_s
    client_cpu = sum(part.client_cpu_s for part in parts)
    other_cpu = parts[0].machine_busy_s - client_cpu - (server_cpu or 0.0)
    ok = len(latencies)
    detail = parts[0].server_detail
    split: dict[str, Any] = {}
    if detail is not None and ok:
        split = {
            "server_user_us_per_request": round(detail[0] / ok * 1e6, 1),
            "server_sys_us_per_request": round(detail[1] / ok * 1e6, 1),
            "server_voluntary_switches_per_request": round(detail[2] / ok, 3),
            "server_involuntary_switches_per_request": round(detail[3] / ok, 3),
        }
    return {
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
    } | split
