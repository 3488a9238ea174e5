"""The event journal: every management request a device handles, in order.

Entries are appended to ``events.jsonl`` in the rack's state directory (one
JSON object per line) and kept in a bounded in-memory window that the control
API serves, including long-polling followers.  The journal is the oracle tests
assert on ("RackHD powered node03 off, then on").

Lines reach the file in batches: at most ``flush_interval`` seconds (50 ms by
default) after an entry was appended, when ``flush_batch`` lines are waiting,
on :meth:`Journal.flush` and on :meth:`Journal.close` (the rack closes the
journal when it stops, also on SIGINT/SIGTERM).  So a clean stop loses
nothing, and a crash or SIGKILL loses at most the last ``flush_interval`` of
entries; the in-memory window and listeners see every entry at once.  Without
a reactor that can schedule timers (a bare time source) every entry is
written through as it is appended.
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

FLUSH_INTERVAL = 0.05
FLUSH_BATCH = 512

# The same text as json.dumps(entry, separators=(",", ":")), without building an encoder per entry.
_encode = json.JSONEncoder(separators=(",", ":")).encode


class Journal:
    """Append-only event log with sequence numbers starting at 1."""

    def __init__(
        self,
        clock: RackClock,
        path: Path | None = None,
        window: int = 50_000,
        *,
        flush_interval: float = FLUSH_INTERVAL,
        flush_batch: int = FLUSH_BATCH,
    ) -> None:
        self._clock = clock
        self._path = path
        self._file: IO[str] | None = None
        self._entries: deque[Entry] = deque(maxlen=window)
        self._seq = 0
        self._waiters: list[Deferred[None]] = []
        self._listeners: list[Callable[[Entry], None]] = []
        self._flush_interval = flush_interval
        self._flush_batch = flush_batch
        self._unwritten: list[str] = []
        self._flush_call: Any = None

    def open(self) -> None:
        """Open the JSON-lines file for appending (called when the rack starts)."""
        if self._path is not None and self._file is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("a", encoding="utf-8")

    def close(self) -> None:
        """Write every waiting line and close the file."""
        self.flush()
        if self._file is not None:
            self._file.close()
            self._file = None

    def flush(self) -> None:
        """Write the waiting lines to the file now (and cancel the pending timed flush)."""
        call, self._flush_call = self._flush_call, None
        if call is not None and call.active():
            call.cancel()
        lines, self._unwritten = self._unwritten, []
        if self._file is not None and lines:
            self._file.write("".join(lines))
            self._file.flush()

    @property
    def last_seq(self) -> int:
        return self._seq

    def append(self, device: str, protocol: str, operation: str, **fields: Any) -> Entry:
        """Record one event; ``fields`` must be JSON serialisable and free of secrets."""
        self._seq += 1
        elapsed = self._clock.elapsed()
        entry: Entry = {
            "seq": self._seq,
            "time": self._clock.isoformat(elapsed),
            "elapsed": round(elapsed, 6),
            "device": device,
            "protocol": protocol,
            "operation": operation,
        }
        entry.update(fields)
        self._entries.append(entry)
        if self._file is not None:
            self._write(_encode(entry) + "\n")
        if self._listeners:
            for listener in list(self._listeners):
                listener(entry)
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                waiter.callback(None)
        return entry

    def _write(self, line: str) -> None:
        self._unwritten.append(line)
        if len(self._unwritten) >= self._flush_batch:
            self.flush()
        elif self._flush_call is None:
            self._flush_call = self._clock.call_later(self._flush_interval, self._timed_flush)
            if self._flush_call is None:  # no timers: write through
                self.flush()

    def _timed_flush(self) -> None:
        self._flush_call = None
        self.flush()

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
