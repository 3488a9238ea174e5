"""Rack time: the spec's epoch plus reactor time elapsed since the rack started.

All devices take time from the reactor (``IReactorTime``) so tests can drive a
fake clock; this adds the wall-clock face (SEL timestamps, journal entries)
that stays deterministic relative to the spec's ``epoch``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class TimeSource(Protocol):
    """The part of ``IReactorTime`` the rack clock uses."""

    def seconds(self) -> float: ...


class RackClock:
    """Maps reactor seconds to rack wall-clock time."""

    def __init__(self, reactor: TimeSource, epoch: datetime) -> None:
        self._reactor = reactor
        self.epoch = epoch
        self._start = reactor.seconds()

    def elapsed(self) -> float:
        """Seconds since the rack was created."""
        return self._reactor.seconds() - self._start

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.elapsed())

    def unix(self) -> float:
        """Rack time as Unix seconds (what a BMC's SEL clock reports)."""
        return self.now().timestamp()

    def isoformat(self) -> str:
        return self.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
