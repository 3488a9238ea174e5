"""Journal assertions that read like a test's intent, wait without sleeping, and explain a failure.

A :class:`RackJournal` reads the rack's journal through an :class:`EventSource` (the control
API's long poll for a child process, a journal listener for an in-process rack): waiting blocks
on "a new entry arrived", bounded by the timeout, never on a fixed sleep.

Filters are keyword arguments matched against entry fields: a plain value must be equal, a
callable is a predicate on the field's value (``completion_code=lambda c: c != 0``).  A
:class:`JournalTimeout` lists the events it saw that came nearest (most filters matched), with
what differed, and the last events seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

Entry = dict[str, Any]
Filters = Mapping[str, Any]
_MISSING = object()
NEAREST = 5
EXPLAIN_WINDOW = 1000  # events a failure message ranks


class JournalTimeout(AssertionError):
    """A journal assertion failed; the message lists the nearest events seen."""

    def __init__(self, message: str, seen: list[Entry]) -> None:
        super().__init__(message)
        self.seen = seen


class EventSource(Protocol):
    """Where a :class:`RackJournal` reads entries from."""

    def last_seq(self) -> int: ...

    def read(self, after: int, device: str | None, protocol: str | None) -> list[Entry]:
        """Every entry after ``after`` (optionally of one device / protocol), oldest first."""
        ...

    def wait(self, after: int, device: str | None, protocol: str | None, timeout: float) -> list[Entry]:
        """Entries after ``after``, waiting up to ``timeout`` seconds for the first one; [] on timeout."""
        ...


def matches(entry: Entry, filters: Filters) -> bool:
    for key, want in filters.items():
        value = entry.get(key, _MISSING)
        if callable(want):
            if value is _MISSING or not want(value):
                return False
        elif value != want:
            return False
    return True


def _describe(filters: Filters) -> str:
    return ", ".join(f"{k}={'<predicate>' if callable(v) else repr(v)}" for k, v in filters.items()) or "(anything)"


def _line(entry: Entry) -> str:
    rest = " ".join(f"{k}={v}" for k, v in entry.items() if k not in {"seq", "time", "elapsed", "device", "protocol"})
    return f"#{entry.get('seq')} {entry.get('time')} {entry.get('device')} {entry.get('protocol')} {rest}"


def _differs(entry: Entry, filters: Filters) -> str:
    diffs = []
    for key, want in filters.items():
        value = entry.get(key, _MISSING)
        if value is _MISSING:
            diffs.append(f"no {key}")
        elif (callable(want) and not want(value)) or (not callable(want) and value != want):
            diffs.append(f"{key}={value!r}")
    return ", ".join(diffs)


def explain(seen: list[Entry], filters: Filters) -> str:
    """The nearest events to ``filters`` (most fields matched, newest first among equals) and the last ones."""
    if not seen:
        return "no events were seen at all"

    def score(entry: Entry) -> int:
        return sum(1 for key, want in filters.items() if matches(entry, {key: want}))

    ranked = sorted(seen, key=lambda e: (score(e), e.get("seq", 0)), reverse=True)[:NEAREST]
    lines = [f"nearest of {len(seen)} events seen:"]
    lines += [f"  {_line(e)}\n      differs: {_differs(e, filters)}" for e in ranked]
    lines.append("last events seen:")
    lines += [f"  {_line(e)}" for e in seen[-3:]]
    return "\n".join(lines)


def _server_side(filters: Filters) -> tuple[str | None, str | None]:
    device = filters.get("device")
    protocol = filters.get("protocol")
    return (device if isinstance(device, str) else None, protocol if isinstance(protocol, str) else None)


class RackJournal:
    """``rack.journal``: mark, wait for, order and absence of events."""

    def __init__(self, source: EventSource, clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._clock = clock

    def mark(self) -> int:
        """The current last sequence number: pass it as ``since`` to mean "from now on"."""
        return self._source.last_seq()

    def events(self, since: int = 0, **filters: Any) -> list[Entry]:
        """Entries after ``since`` that match ``filters``, oldest first (no waiting)."""
        device, protocol = _server_side(filters)
        return [e for e in self._source.read(since, device, protocol) if matches(e, filters)]

    def wait_for(self, since: int = 0, timeout: float = 30.0, **filters: Any) -> Entry:
        """The first entry after ``since`` that matches, waiting up to ``timeout`` seconds for it."""
        found, seen = self._find(since, timeout, filters)
        if found is None:
            seen = self._everything_since(since) or seen
            raise JournalTimeout(
                f"no journal event matched {_describe(filters)} within {timeout:g} s after seq {since}\n"
                + explain(seen, filters),
                seen,
            )
        return found

    def _everything_since(self, since: int) -> list[Entry]:
        """For a failure message: the latest events after ``since`` of every device and protocol."""
        return self._source.read(since, None, None)[-EXPLAIN_WINDOW:]

    def _find(self, since: int, timeout: float, filters: Filters) -> tuple[Entry | None, list[Entry]]:
        deadline = self._clock() + timeout
        device, protocol = _server_side(filters)
        seen: list[Entry] = []
        cursor = since
        while True:
            remaining = deadline - self._clock()
            batch = self._source.wait(cursor, device, protocol, max(0.0, remaining))
            for entry in batch:
                seen.append(entry)
                cursor = max(cursor, int(entry["seq"]))
                if matches(entry, filters):
                    return entry, seen
            if not batch and remaining <= 0:
                return None, seen
            if self._clock() >= deadline and not batch:
                return None, seen

    def assert_order(self, steps: Sequence[Filters], since: int = 0, timeout: float = 30.0) -> list[Entry]:
        """Each step's first match comes after the previous step's, all within ``timeout``; returns them."""
        deadline = self._clock() + timeout
        found: list[Entry] = []
        cursor = since
        for number, step in enumerate(steps, 1):
            entry, seen = self._find(cursor, max(0.0, deadline - self._clock()), step)
            if entry is None:
                seen = self._everything_since(cursor) or seen
                done = "\n".join(f"  step {i}: {_line(e)}" for i, e in enumerate(found, 1)) or "  (none)"
                raise JournalTimeout(
                    f"step {number} of {len(steps)} ({_describe(step)}) did not happen after seq {cursor} "
                    f"within {timeout:g} s of the start\nsteps matched so far:\n{done}\n" + explain(seen, step),
                    seen,
                )
            found.append(entry)
            cursor = int(entry["seq"])
        return found

    def assert_none(self, since: int = 0, **filters: Any) -> None:
        """No entry after ``since`` matches ``filters`` (checked now: the journal is never behind the rack)."""
        hits = self.events(since, **filters)
        if hits:
            shown = "\n".join(f"  {_line(e)}" for e in hits[:NEAREST])
            raise JournalTimeout(
                f"{len(hits)} journal event(s) matched {_describe(filters)} after seq {since}, expected none:\n"
                + shown,
                hits,
            )
