"""The event journal: every management request a device handles, in order.

Entries are appended to ``events.jsonl`` in the rack's state directory (one
JSON object per line, flushed per entry so a crash loses nothing already
handled) and kept in a bounded in-memory window that the control API serves,
including long-polling followers.  The journal is the oracle tests assert on
("RackHD powered node03 off, then on").
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from twisted.internet.defer import Deferred

from vrack.clock import RackClock

Entry = dict[str, Any]


class Journal:
    """Append-only event log with sequence numbers starting at 1."""

    def __init__(self, clock: RackClock, path: Path | None = None, window: int = 50_000) -> None:
        self._clock = clock
        self._path = path
        self._file: IO[str] | None = None
        self._entries: deque[Entry] = deque(maxlen=window)
        self._seq = 0
        self._waiters: list[Deferred[None]] = []
        self._listeners: list[Callable[[Entry], None]] = []

    def open(self) -> None:
        """Open the JSON-lines file for appending (called when the rack starts)."""
        if self._path is not None and self._file is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("a", encoding="utf-8", buffering=1)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def last_seq(self) -> int:
        return self._seq

    def append(self, device: str, protocol: str, operation: str, **fields: Any) -> Entry:
        """Record one event; ``fields`` must be JSON serialisable and free of secrets."""
        self._seq += 1
        entry: Entry = {
            "seq": self._seq,
            "time": self._clock.isoformat(),
            "elapsed": round(self._clock.elapsed(), 6),
            "device": device,
            "protocol": protocol,
            "operation": operation,
        }
        entry.update(fields)
        self._entries.append(entry)
        if self._file is not None:
            self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")
        for listener in list(self._listeners):
            listener(entry)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.callback(None)
        return entry

    def add_listener(self, listener: Callable[[Entry], None]) -> None:
        self._listeners.append(listener)

    def entries(self, after: int = 0, device: str | None = None, limit: int | None = None) -> list[Entry]:
        """Entries with ``seq > after`` (optionally for one device), oldest first."""
        selected = [e for e in self._entries if e["seq"] > after and (device is None or e["device"] == device)]
        return selected[:limit] if limit is not None else selected

    def wait(self) -> Deferred[None]:
        """A Deferred that fires at the next append (long polling)."""
        waiter: Deferred[None] = Deferred(lambda d: self._cancel(d))
        self._waiters.append(waiter)
        return waiter

    def _cancel(self, waiter: Deferred[None]) -> None:
        if waiter in self._waiters:
            self._waiters.remove(waiter)
