"""The journal on disk: one directory per run, size-rotated segments, crash-tolerant reading.

Layout of a rack's state directory (``<state root>/<rack>/``)::

    runs/<run id>/events.jsonl        the segment being written (the newest)
    runs/<run id>/events.<n>.jsonl    rotated segments, n = 1, 2, ... oldest first
    latest                            symlink to runs/<run id> of the newest run
    events.jsonl                      symlink to the newest run's current segment (older tools read it)

A run id is the wall-clock start time in UTC (``20260504T101233.123456Z``), so ids sort in start
order and the newest run is the greatest.  Entries themselves carry no run id: a spec and a
scenario still give the same journal, line for line, in every run.

Writing (:class:`SegmentWriter`): every batch of lines goes to the file in one ``os.write`` of
whole lines, so a ``kill -9`` either lands a batch or not; a crash inside the system call can
leave at most one partial line at the very end, which :func:`read_segment` skips (and
:func:`repair_tail` cuts off).  A segment is rotated once it exceeds ``segment_size`` bytes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SEGMENT_SIZE = 64 * 1024 * 1024  # default size at which a segment is rotated
KEEP_RUNS = 5  # default number of runs kept per rack (the newest ones)
CURRENT = "events.jsonl"
_RUN_ID = re.compile(r"^\d{8}T\d{6}\.\d{6}Z(-\d+)?$")


def new_run_id(now: datetime | None = None) -> str:
    """The id of a run starting now: its UTC start time, sortable as text."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S.%fZ")


class SegmentWriter:
    """Appends whole lines to ``path`` (a run's ``events.jsonl``) and rotates it by size: the full file
    becomes ``events.<n>.jsonl`` beside it (n = 1, 2, ...) and a new one is started."""

    def __init__(self, path: Path, segment_size: int = SEGMENT_SIZE) -> None:
        self.path = path
        self.segment_size = segment_size
        self._fd: int | None = None
        self._size = 0
        self._rotated = 0

    def open(self) -> None:
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rotated = max((n for n, _ in rotated_segments(self.path.parent, self.path)), default=0)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._size = os.fstat(self._fd).st_size

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def write(self, data: bytes) -> None:
        """Write ``data`` (whole lines) in one system call, then rotate if the segment is full."""
        if self._fd is None:
            return
        view = memoryview(data)
        while view:  # a regular file takes it in one call; loop only on a short write
            written = os.write(self._fd, view)
            view = view[written:]
        self._size += len(data)
        if self._size >= self.segment_size:
            self._rotate()

    def _rotate(self) -> None:
        assert self._fd is not None
        os.close(self._fd)
        self._rotated += 1
        os.replace(self.path, self.path.with_name(f"{self.path.stem}.{self._rotated}{self.path.suffix}"))
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._size = 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def rotated_segments(directory: Path, current: Path | None = None) -> list[tuple[int, Path]]:
    """The rotated segments beside ``current`` (default ``directory/events.jsonl``), oldest first."""
    current = current or directory / CURRENT
    pattern = re.compile(rf"^{re.escape(current.stem)}\.(\d+){re.escape(current.suffix)}$")
    found = []
    if directory.is_dir():
        for path in directory.iterdir():
            match = pattern.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return sorted(found)


def segments(directory: Path) -> list[Path]:
    """Every segment of a run, oldest first (rotated ones, then the current one)."""
    paths = [p for _, p in rotated_segments(directory)]
    if (directory / CURRENT).exists():
        paths.append(directory / CURRENT)
    return paths


@dataclass
class ReadReport:
    """What reading skipped: lines that were not whole JSON objects (a crash's torn last line)."""

    skipped: int = 0


def read_segment(path: Path, report: ReadReport | None = None) -> Iterator[dict[str, Any]]:
    """The entries of one segment.  A last line without its newline (a crash mid-write) and any line
    that is not a JSON object are skipped and counted in ``report``, never raised."""
    with path.open("rb") as stream:
        for raw in stream:
            if not raw.endswith(b"\n"):
                if report is not None:
                    report.skipped += 1
                return
            try:
                entry = json.loads(raw)
            except ValueError:
                entry = None
            if not isinstance(entry, dict):
                if report is not None:
                    report.skipped += 1
                continue
            yield entry


def read_run(directory: Path, report: ReadReport | None = None) -> Iterator[dict[str, Any]]:
    """Every entry of a run across its segments, in order."""
    for path in segments(directory):
        yield from read_segment(path, report)


def repair_tail(path: Path) -> int:
    """Cut a partial last line (no newline) off ``path``; return the bytes removed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with path.open("rb+") as stream:
        stream.seek(max(0, size - 65536))
        tail = stream.read()
        if tail.endswith(b"\n"):
            return 0
        cut = tail.rfind(b"\n")
        keep = size - len(tail) + cut + 1 if cut >= 0 else (0 if size <= 65536 else size)
        stream.truncate(keep)
    return size - keep


class RunStore:
    """The runs of one rack under ``<rack dir>/runs``: create, find, prune."""

    def __init__(self, rack_path: Path) -> None:
        self.rack_path = rack_path
        self.runs_path = rack_path / "runs"

    def runs(self) -> list[str]:
        """Run ids, oldest first."""
        if not self.runs_path.is_dir():
            return []
        return sorted(p.name for p in self.runs_path.iterdir() if p.is_dir() and _RUN_ID.match(p.name))

    def latest(self) -> str | None:
        runs = self.runs()
        return runs[-1] if runs else None

    def path(self, run_id: str) -> Path:
        return self.runs_path / run_id

    def create(self, keep_runs: int = KEEP_RUNS) -> str:
        """Start a new run directory, point ``latest`` and ``events.jsonl`` at it, repair the previous run's
        torn tail (a crash), and prune to the newest ``keep_runs`` runs (this one included)."""
        previous = self.latest()
        if previous is not None:
            repair_tail(self.path(previous) / CURRENT)
        base = run_id = new_run_id()
        if previous is not None and base <= previous:  # the clock went back, or two starts in one microsecond
            base = previous.split("-")[0]
        suffix = 0
        while self.path(run_id).exists() or (previous is not None and run_id <= previous):
            suffix += 1
            run_id = f"{base}-{suffix}"
        self.path(run_id).mkdir(parents=True)
        self._link("latest", Path("runs") / run_id)
        self._link(CURRENT, Path("runs") / run_id / CURRENT)
        self.prune(keep_runs)
        return run_id

    def _link(self, name: str, target: Path) -> None:
        link = self.rack_path / name
        tmp = self.rack_path / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        if link.exists() and not link.is_symlink():  # an events.jsonl from before runs: keep it beside
            link.replace(self.rack_path / "events.pre-runs.jsonl")
        tmp.replace(link)

    def prune(self, keep_runs: int) -> list[str]:
        """Remove all but the newest ``keep_runs`` runs; return the removed ids."""
        runs = self.runs()
        removed = runs[: max(0, len(runs) - max(1, keep_runs))]
        for run_id in removed:
            shutil.rmtree(self.path(run_id), ignore_errors=True)
        return removed

    def discard_if_empty(self, run_id: str) -> bool:
        """Remove a run that recorded nothing (a start that failed) and point the links back at the run
        before it; return whether it was removed."""
        directory = self.path(run_id)
        if any(path.stat().st_size for path in segments(directory)):
            return False
        shutil.rmtree(directory, ignore_errors=True)
        previous = self.latest()
        for name in ("latest", CURRENT):
            (self.rack_path / name).unlink(missing_ok=True)
        if previous is not None:
            self._link("latest", Path("runs") / previous)
            self._link(CURRENT, Path("runs") / previous / CURRENT)
        return True
