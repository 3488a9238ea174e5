"""Start-up progress of a big rack on the terminal: devices built and bound out of the total, time left.

A rack starts in two passes over its devices: *build* (objects, identities, SDR/FRU) and *bind*
(sockets, in the rack's namespace).  :class:`StartupProgress` is called once per device and pass; it
writes a line at most once per ``interval`` seconds, so a rack that is up within the first interval
prints nothing more than before.  Once it has written anything it also writes the end of each pass.
The time left is the remaining device steps (2 per device) at the rate seen so far.

On a terminal the line is rewritten in place (carriage return); otherwise (a log file, a pipe)
each report is its own line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO

PASSES = ("built", "bound")


class StartupProgress:
    """Reports ``phase`` progress of ``total`` devices to ``stream``; see the module docstring."""

    def __init__(
        self,
        rack: str,
        total: int,
        stream: IO[str],
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval < 0:
            raise ValueError(f"progress interval must be 0 or more seconds, got {interval}")
        self.rack = rack
        self.total = total
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.last_report: float | None = None
        self.lines = 0
        self._inplace = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, phase: str, done: int) -> None:
        """``done`` devices of the rack have passed ``phase`` (``built`` or ``bound``)."""
        if phase not in PASSES:
            raise ValueError(f"phase must be one of {', '.join(PASSES)}, got {phase!r}")
        now = self.clock()
        since = now - (self.last_report if self.last_report is not None else self.started)
        last_of_pass = done >= self.total
        if since < self.interval and not (last_of_pass and self.lines):
            return
        self.last_report = now
        self.lines += 1
        self._write(self.describe(phase, done, now), final=last_of_pass and phase == PASSES[-1])

    def describe(self, phase: str, done: int, now: float) -> str:
        """The report line for ``done`` devices past ``phase`` at clock time ``now``."""
        elapsed = now - self.started
        steps = done + (self.total if phase == "bound" else 0)
        all_steps = 2 * self.total
        built = self.total if phase == "bound" else done
        bound = done if phase == "bound" else 0
        text = f"rack {self.rack}: {built}/{self.total} devices built, {bound}/{self.total} bound, {elapsed:.1f} s"
        if steps >= all_steps:
            return text
        left = elapsed / steps * (all_steps - steps) if steps else None
        return text + (f", about {left:.0f} s left" if left is not None else "")

    def _write(self, line: str, final: bool) -> None:
        if self._inplace:
            self.stream.write("\r" + line + "\x1b[K" + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
