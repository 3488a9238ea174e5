"""Whether a process is alive, one way for the whole project (issue 14: a zombie is not alive).

``kill(pid, 0)`` succeeds for a zombie (a process that exited but was not reaped yet), so a rack
killed with SIGKILL looked alive until its parent reaped it.  These read ``/proc/PID/stat``
instead: a pid is alive when the file exists and its state is not ``Z``.
"""

from __future__ import annotations

from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name, or None when there is no such process."""
    if pid <= 0:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return stat.rsplit(")", 1)[1].split()


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (exists and is not a zombie)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def process_start_time(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (field 22 of /proc/PID/stat); None if it is gone.

    With the pid, it names one process even after the pid is reused.
    """
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])
