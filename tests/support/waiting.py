"""Waiting on a condition with a deadline, never a fixed sleep (vrack.testing's wait, as tests call it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vrack.testing.waiting import wait_until


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll ``condition`` until it returns a truthy value (returned); fail after ``timeout`` seconds."""
    return wait_until(condition, timeout, what, interval=interval)
