"""Waiting on a condition, bounded by a timeout: never a fixed sleep that a test relies on.

:func:`wait_until` asks ``probe`` until it returns something truthy; between asks it backs off from
0.1 s to at most 2 s (so a fast RackHD is seen fast and a slow one is not flooded).  On timeout the
error names what was awaited and the last thing seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
FIRST_INTERVAL = 0.1
MAX_INTERVAL = 2.0


class WaitTimeout(AssertionError):
    """The condition did not come true in time; the message says what and what was last seen."""


def wait_until(
    probe: Callable[[], T | None],
    timeout: float,
    what: str,
    *,
    seen: Callable[[], Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
) -> T:
    """The first truthy result of ``probe()`` within ``timeout`` s, else :class:`WaitTimeout`.

    ``seen()`` (optional) describes the last state for the failure message; ``clock`` and ``pause``
    are injectable so the suite's own tests run without waiting.
    """
    deadline = clock() + timeout
    interval = FIRST_INTERVAL
    while True:
        result = probe()
        if result:
            return result
        remaining = deadline - clock()
        if remaining <= 0:
            last = f"; last seen: {seen()}" if seen is not None else ""
            raise WaitTimeout(f"{what} did not happen within {timeout:g} s{last}")
        pause(min(interval, remaining))
        interval = min(interval * 2, MAX_INTERVAL)
