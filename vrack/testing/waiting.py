"""Waiting on a condition with a deadline: what tests and benchmarks do instead of fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None],
    timeout: float,
    what: str,
    *,
    interval: float = 0.02,
    error: type[Exception] = AssertionError,
) -> T:
    """Poll ``condition`` every ``interval`` s until it returns something truthy, and return that.

    After ``timeout`` seconds raise ``error`` with "timed out after T s waiting for WHAT".  An
    exception from ``condition`` (e.g. "the process exited") ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
