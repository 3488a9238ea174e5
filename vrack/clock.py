"""Rack time: the spec's epoch plus reactor time elapsed since the rack started.

All devices take time from the reactor (``IReactorTime``) so tests can drive a
fake clock; this adds the wall-clock face (SEL timestamps, journal entries)
that stays deterministic relative to the spec's ``epoch``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

ISO_SECONDS_LENGTH = len("2026-01-01T00:00:00")


class TimeSource(Protocol):
    """The part of ``IReactorTime`` the rack clock uses."""

    def seconds(self) -> float: ...


class RackClock:
    """Maps reactor seconds to rack wall-clock time."""

    def __init__(self, reactor: TimeSource, epoch: datetime) -> None:
        self._reactor = reactor
        self.epoch = epoch
        self._start = reactor.seconds()
        # isoformat() formats each rack second once: its text up to the seconds and the UTC offset after them.
        self._epoch_second = epoch.replace(microsecond=0)
        self._iso_second: int | None = None
        self._iso_prefix = ""
        self._iso_offset = ""
        # ... and the text of the last millisecond, with the elapsed seconds [low, high) certain to give it
        self._ms_text = ""
        self._ms_low = self._ms_high = 0.0

    def elapsed(self) -> float:
        """Seconds since the rack was created."""
        return self._reactor.seconds() - self._start

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.elapsed())

    def unix(self) -> float:
        """Rack time as Unix seconds (what a BMC's SEL clock reports)."""
        return self.now().timestamp()

    def isoformat(self, elapsed: float | None = None) -> str:
        """Rack time now (or ``elapsed`` seconds after the start) as ISO 8601 with milliseconds, UTC as ``Z``.

        The same text as ``now().isoformat(timespec="milliseconds")`` with
        ``+00:00`` written ``Z``; the date and time up to the second are
        formatted once per rack second, and the whole text once per rack
        millisecond: a loaded rack asks several times per millisecond (one
        journal entry per request).  The text depends only on the whole
        microseconds ``timedelta`` rounds ``elapsed`` to, so a later call
        reuses it when ``elapsed`` is at least 1 us inside the same
        millisecond, where no rounding can leave it.
        """
        if elapsed is None:
            elapsed = self.elapsed()
        if self._ms_low <= elapsed < self._ms_high:
            return self._ms_text
        delta = timedelta(seconds=elapsed)  # rounds like now()
        epoch_micros = self.epoch.microsecond
        micros = epoch_micros + delta.microseconds
        second = delta.days * 86_400 + delta.seconds + micros // 1_000_000
        if second != self._iso_second:
            text = (self._epoch_second + timedelta(seconds=second)).isoformat(timespec="seconds")
            self._iso_prefix = text[:ISO_SECONDS_LENGTH]
            self._iso_offset = text[ISO_SECONDS_LENGTH:].replace("+00:00", "Z")
            self._iso_second = second
        text = f"{self._iso_prefix}.{micros % 1_000_000 // 1000:03d}{self._iso_offset}"
        # the whole microseconds since the start that give this millisecond: [first, first + 999]
        first = (second * 1_000_000 + micros % 1_000_000) // 1000 * 1000 - epoch_micros
        self._ms_text, self._ms_low, self._ms_high = text, (first + 1) / 1e6, (first + 999) / 1e6
        return text

    def call_later(self, delay: float, fn: Callable[[], object]) -> Any | None:
        """Run ``fn`` after ``delay`` seconds on the reactor; ``None`` (nothing scheduled) if it has no timers."""
        call_later = getattr(self._reactor, "callLater", None)
        return None if call_later is None else call_later(delay, fn)
