"""The event journal: every management request a device handles, in order.

Entries get sequence numbers from 1 and live in a bounded in-memory window (a deque of
consecutive sequence numbers, plus one deque per device), which the control API serves; they
reach the run's ``events.jsonl`` (:mod:`vrack.journalfiles`) and the followers in batches.

Costs, for a rack under load with many readers:

* :meth:`Journal.append` (the request path) builds one dict and keeps references; no encoding.
* A batch is flushed at most ``flush_interval`` seconds (50 ms) after its first entry, when
  ``flush_batch`` entries wait, on :meth:`Journal.flush` and on :meth:`Journal.close`: each entry is
  JSON-encoded once there, the lines go to the file in one write, and every :class:`Follower`
  gets the entries of the batch that match its device and protocol (the same encoded lines, so a
  Server-Sent Events stream or a long-poll answer never encodes again).  A follower of one device
  costs nothing for other devices' entries.
* :meth:`Journal.entries` finds ``after`` by sequence arithmetic (or bisection in a device's deque)
  and reads only what it returns: a follower pays O(new entries), never O(window).

So a clean stop loses nothing, and a crash or ``kill -9`` loses at most the batch not yet flushed
(at most ``flush_interval`` of entries, at most ``flush_batch`` entries); listeners added with
:meth:`Journal.add_listener` see each entry at once, in the appending call.  Without a reactor
that can schedule timers (a bare time source) every entry is flushed as it is appended.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from twisted.internet.defer import Deferred

from vrack.clock import RackClock
from vrack.journalfiles import SEGMENT_SIZE, SegmentWriter

Entry = dict[str, Any]
Deliver = Callable[[list[Entry], list[bytes]], None]

FLUSH_INTERVAL = 0.05
FLUSH_BATCH = 512
WINDOW = 50_000


def encode_entry(entry: Entry) -> bytes:
    """One journal line without its newline: compact JSON in UTF-8 (orjson, about 5x the stdlib encoder).

    Values JSON cannot hold are written as their ``str()`` rather than losing the whole batch.
    """
    return orjson.dumps(entry, default=str)


def _seq(entry: Entry) -> int:
    return int(entry["seq"])


class Follower:
    """A reader that gets each flushed batch's matching entries (and their JSON lines) once."""

    def __init__(
        self,
        journal: Journal,
        deliver: Deliver,
        device: str | None,
        protocol: str | None,
        once: bool,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self._journal = journal
        self._deliver = deliver
        self._on_end = on_end
        self.device = device
        self.protocol = protocol
        self.once = once
        self.active = True

    def offer(
        self,
        batch: list[Entry],
        lines: list[bytes],
        indices: Iterable[int],
        shared: dict[tuple[int, str | None], tuple[list[Entry], list[bytes]]],
    ) -> None:
        """Deliver the entries at ``indices`` that match; followers with the same filter get the same lists
        (``shared``, one per batch), so a reader may keep derived data per list (the SSE frames)."""
        if not self.active:
            return
        key = (id(indices), self.protocol)
        picked = shared.get(key)
        if picked is None:
            protocol = self.protocol
            chosen = [i for i in indices if protocol is None or batch[i]["protocol"] == protocol]
            picked = shared[key] = ([batch[i] for i in chosen], [lines[i] for i in chosen])
        if not picked[0]:
            return
        if self.once:
            self.cancel()
        self._deliver(*picked)

    def cancel(self) -> None:
        """Stop following (at once; idempotent)."""
        if self.active:
            self.active = False
            self._journal._remove(self)

    def end(self) -> None:
        """The journal was closed (the rack stops): stop following and tell the reader."""
        if self.active:
            self.cancel()
            if self._on_end is not None:
                self._on_end()


class Journal:
    """Append-only event log with sequence numbers starting at 1."""

    def __init__(
        self,
        clock: RackClock,
        path: Path | None = None,
        window: int = WINDOW,
        *,
        flush_interval: float = FLUSH_INTERVAL,
        flush_batch: int = FLUSH_BATCH,
        segment_size: int = SEGMENT_SIZE,
        run_id: str | None = None,
    ) -> None:
        self._clock = clock
        self.path = path
        self.run_id = run_id
        self._writer = SegmentWriter(path, segment_size) if path is not None else None
        self._writing = False  # the writer is open (asked once per append)
        self._window_size = window
        self._entries: deque[Entry] = deque()
        self._by_device: dict[str, deque[Entry]] = {}
        self._seq = 0
        self._listeners: list[Callable[[Entry], None]] = []
        self._followers: dict[str | None, list[Follower]] = {}
        self._flush_interval = flush_interval
        self._flush_batch = flush_batch
        self._unwritten: list[Entry] = []
        self._flush_call: Any = None

    # ------------------------------------------------------------------ lifecycle

    def open(self) -> None:
        """Open the current segment for appending (called when the rack starts)."""
        if self._writer is not None:
            self._writer.open()
            self._writing = self._writer.is_open

    def close(self) -> None:
        """Flush every waiting entry, close the file and end every follower (the rack stops)."""
        self.flush()
        if self._writer is not None:
            self._writer.close()
            self._writing = False
        for group in list(self._followers.values()):
            for follower in list(group):
                follower.end()

    def flush(self) -> None:
        """Encode the waiting entries once, write them in one go, hand them to the followers."""
        call, self._flush_call = self._flush_call, None
        if call is not None and call.active():
            call.cancel()
        batch, self._unwritten = self._unwritten, []
        if not batch:
            return
        dumps = orjson.dumps
        lines = [dumps(entry, default=str) for entry in batch]  # encode_entry, without a call per entry
        if self._writer is not None and self._writer.is_open:
            lines.append(b"")
            self._writer.write(b"\n".join(lines))
            lines.pop()
        if self._followers:
            self._hand_out(batch, lines)

    def _hand_out(self, batch: list[Entry], lines: list[bytes]) -> None:
        shared: dict[tuple[int, str | None], tuple[list[Entry], list[bytes]]] = {}
        everything = self._followers.get(None)
        if everything:
            indices = range(len(batch))
            for follower in list(everything):
                follower.offer(batch, lines, indices, shared)
        if len(self._followers) > (1 if everything else 0):
            by_device: dict[str, list[int]] = {}
            followed = self._followers
            for index, entry in enumerate(batch):
                device = entry["device"]
                if device in followed:
                    by_device.setdefault(device, []).append(index)
            for device, picked in by_device.items():
                for follower in list(followed.get(device, ())):
                    follower.offer(batch, lines, picked, shared)

    # ------------------------------------------------------------------ appending

    @property
    def last_seq(self) -> int:
        return self._seq

    @property
    def unflushed_from(self) -> int | None:
        """The seq of the oldest entry waiting for the next flush (followers have not seen it), or ``None``."""
        return int(self._unwritten[0]["seq"]) if self._unwritten else None

    @property
    def first_seq(self) -> int:
        """The oldest sequence number still in the window (``last_seq + 1`` when it is empty)."""
        return int(self._entries[0]["seq"]) if self._entries else self._seq + 1

    def append(self, device: str, protocol: str, operation: str, **fields: Any) -> Entry:
        """Record one event; ``fields`` must be JSON serialisable and free of secrets."""
        return self.append_fields(device, protocol, operation, fields)

    def append_fields(self, device: str, protocol: str, operation: str, fields: dict[str, Any] | None) -> Entry:
        """:meth:`append` with the fields as one dict (the request path: no keyword packing)."""
        self._seq = seq = self._seq + 1
        clock = self._clock
        elapsed = clock.elapsed()
        entry: Entry = {
            "seq": seq,
            "time": clock.isoformat(elapsed),
            "elapsed": round(elapsed, 6),
            "device": device,
            "protocol": protocol,
            "operation": operation,
        }
        if fields:
            entry.update(fields)
        entries = self._entries
        if len(entries) >= self._window_size:
            evicted = entries.popleft()
            oldest = self._by_device[evicted["device"]]
            oldest.popleft()
            if not oldest:
                del self._by_device[evicted["device"]]
        entries.append(entry)
        own = self._by_device.get(device)
        if own is None:
            own = self._by_device[device] = deque()
        own.append(entry)
        if self._followers or self._writing:
            self._unwritten.append(entry)
            if len(self._unwritten) >= self._flush_batch:
                self.flush()
            elif self._flush_call is None:
                self._flush_call = clock.call_later(self._flush_interval, self._timed_flush)
                if self._flush_call is None:  # no timers: write through
                    self.flush()
        if self._listeners:
            for listener in list(self._listeners):
                listener(entry)
        return entry

    def _timed_flush(self) -> None:
        self._flush_call = None
        self.flush()

    # ------------------------------------------------------------------ reading and following

    def add_listener(self, listener: Callable[[Entry], None]) -> Callable[[], None]:
        """Call ``listener`` with every entry as it is appended; returns a function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def entries(
        self, after: int = 0, device: str | None = None, limit: int | None = None, protocol: str | None = None
    ) -> list[Entry]:
        """Entries with ``seq > after`` (optionally of one device and protocol), oldest first, at most ``limit``."""
        source = self._entries if device is None else self._by_device.get(device)
        if not source:
            return []
        # the window holds consecutive sequence numbers (arithmetic); a device's deque is sorted (bisection)
        by_number = device is None
        start = max(0, after - int(source[0]["seq"]) + 1) if by_number else bisect_right(source, after, key=_seq)
        count = len(source) - start
        if count <= 0:
            return []
        selected: Iterable[Entry]
        if start > count:  # near the end: walk back from the right, O(new entries)
            newest = list(islice(reversed(source), count))
            newest.reverse()
            selected = newest
        else:
            selected = islice(source, start, None)
        if protocol is not None:
            selected = (e for e in selected if e["protocol"] == protocol)
        return list(islice(selected, limit))

    def follow(
        self,
        deliver: Deliver,
        *,
        device: str | None = None,
        protocol: str | None = None,
        once: bool = False,
        on_end: Callable[[], None] | None = None,
    ) -> Follower:
        """Register ``deliver(entries, lines)`` for every flushed batch with matching entries (only the first
        one with ``once``); ``on_end()`` is called when the journal closes."""
        follower = Follower(self, deliver, device, protocol, once, on_end)
        self._followers.setdefault(device, []).append(follower)
        return follower

    def _remove(self, follower: Follower) -> None:
        group = self._followers.get(follower.device)
        if group is not None and follower in group:
            group.remove(follower)
            if not group:
                del self._followers[follower.device]

    def wait(self, device: str | None = None, protocol: str | None = None) -> Deferred[list[Entry]]:
        """A Deferred that fires with the next flushed matching entries (long polling), or with ``[]`` when
        the journal closes; cancelling it unregisters the waiter at once."""
        follower: Follower | None = None
        waiter: Deferred[list[Entry]] = Deferred(lambda _: follower.cancel() if follower is not None else None)

        def deliver(entries: list[Entry], _lines: list[bytes]) -> None:
            if not waiter.called:
                waiter.callback(entries)

        def ended() -> None:
            if not waiter.called:
                waiter.callback([])

        follower = self.follow(deliver, device=device, protocol=protocol, once=True, on_end=ended)
        return waiter

    @property
    def follower_count(self) -> int:
        return sum(len(group) for group in self._followers.values())
