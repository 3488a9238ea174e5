"""Reading a process's CPU time and memory from ``/proc`` (Linux only)."""

from __future__ import annotations

import os

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of process ``pid`` (all its threads), or ``None`` if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def status_kib(pid: int, key: str) -> int | None:
    """The number in line ``key`` of ``/proc/PID/status`` (KiB for the ``Vm*`` keys), or ``None``."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_kib(pid: int) -> int | None:
    """Resident set size (``VmRSS``) of ``pid`` in KiB, or ``None`` if it is gone."""
    return status_kib(pid, "VmRSS")


def pss_kib(pid: int) -> int | None:
    """Proportional set size (shared pages divided among their users) of ``pid`` in KiB, or ``None``."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def thread_count(pid: int) -> int | None:
    """Number of threads of ``pid``, or ``None`` if it is gone."""
    return status_kib(pid, "Threads")


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds summed over all cores since boot, from the ``cpu`` line of ``/proc/stat``.

    The difference of two readings tells how many cores were busy in between,
    whoever used them: the benchmark reports the share it did not cause.
    """
    with open("/proc/stat", encoding="ascii") as handle:
        values = [int(v) for v in handle.readline().split()[1:9]]
    total = sum(values)
    idle = values[3] + values[4]
    return (total - idle) / _CLOCK_TICKS, total / _CLOCK_TICKS


def load_average() -> float:
    """The one-minute load average (other work on the machine skews every number)."""
    with open("/proc/loadavg", encoding="ascii") as handle:
        return float(handle.read().split()[0])
