"""The forwarding database (MAC address table) of a switch, with deterministic ageing.

Policy (chosen to behave like real switches and stay deterministic):

* The MAC of a port's cabled peer is learned when the port goes oper-up and
  is *pinned* while it stays up (the node keeps talking: ARP, LLDP, DHCP), so
  it never ages out under a live link.
* Other MACs (:meth:`Fdb.learn`) age out ``aging_time`` seconds (300 by
  default, dot1dTpAgingTime) after they were last learned, judged lazily
  against the injected clock when the table is read; no timers are scheduled.
* When a port goes oper-down every entry on it is flushed at once, as real
  switches flush dynamic entries on link down.
* A MAC learned on another port moves there (station move).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_AGING_TIME = 300.0


@dataclass(slots=True)
class _Entry:
    port: int
    last_seen: float
    pinned: bool


class Fdb:
    """MAC -> port entries; ``now`` is a function returning clock seconds."""

    def __init__(self, now: Callable[[], float], aging_time: float = DEFAULT_AGING_TIME) -> None:
        if aging_time <= 0:
            raise ValueError(f"aging_time must be positive, got {aging_time}")
        self._now = now
        self.aging_time = aging_time
        self._entries: dict[int, _Entry] = {}
        self._version = 0
        self._cache: list[tuple[int, int]] = []
        self._cache_version = -1
        self._cache_valid_until = 0.0

    def learn(self, port: int, mac: int, *, pinned: bool = False) -> None:
        """Record ``mac`` as seen on ``port`` now (refreshing its age, moving it if needed)."""
        entry = self._entries.get(mac)
        if entry is not None and entry.port == port:
            entry.last_seen = self._now()
            entry.pinned = entry.pinned or pinned
        else:
            self._entries[mac] = _Entry(port, self._now(), pinned)
        self._version += 1

    def unpin(self, port: int, mac: int) -> None:
        """Let ``mac`` on ``port`` age normally from now on."""
        entry = self._entries.get(mac)
        if entry is not None and entry.port == port and entry.pinned:
            entry.pinned = False
            entry.last_seen = self._now()
            self._version += 1

    def flush_port(self, port: int) -> int:
        """Drop every entry on ``port``; returns how many were dropped."""
        gone = [mac for mac, e in self._entries.items() if e.port == port]
        for mac in gone:
            del self._entries[mac]
        if gone:
            self._version += 1
        return len(gone)

    def entries(self) -> list[tuple[int, int]]:
        """Live ``(mac, port)`` pairs sorted by MAC (expired entries are purged first)."""
        now = self._now()
        if self._cache_version == self._version and now < self._cache_valid_until:
            return self._cache
        expired = [m for m, e in self._entries.items() if not e.pinned and now >= e.last_seen + self.aging_time]
        for mac in expired:
            del self._entries[mac]
        self._cache = sorted((mac, e.port) for mac, e in self._entries.items())
        self._cache_version = self._version
        expiries = [e.last_seen + self.aging_time for e in self._entries.values() if not e.pinned]
        self._cache_valid_until = min(expiries, default=float("inf"))
        return self._cache

    def port_of(self, mac: int) -> int | None:
        """The port ``mac`` is currently learned on, or None."""
        self.entries()
        entry = self._entries.get(mac)
        return None if entry is None else entry.port
