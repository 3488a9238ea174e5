"""Device services: each spec device kind becomes one named Twisted service.

``FACTORIES`` maps a spec ``kind`` to the function that builds its services
from the plan; :func:`build_devices` walks the plan through it (a registry,
not an if/elif chain).  Every device service offers ``describe()`` for the
control API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vrack.clock import RackClock
from vrack.devices.base import DeviceService
from vrack.journal import Journal
from vrack.plan import RackPlan


@dataclass(frozen=True)
class RackContext:
    """What device factories get besides the plan: the reactor, journal, clock and, in netns mode,
    the rack network (``vrack.netns.RackNetwork``); ``state_path`` holds per-device files (VM consoles);
    ``listeners`` (``vrack.shared_listeners.SharedListeners``, ``ports.shared``) is what BMCs bind through."""

    reactor: Any
    journal: Journal
    clock: RackClock
    network: Any | None = None
    state_path: Path | None = None
    listeners: Any | None = None


Factory = Callable[[RackPlan, RackContext], Iterator[DeviceService]]


def _factories() -> dict[str, Factory]:
    from vrack.devices.compute import build_compute_devices
    from vrack.devices.pdu import build_pdu_devices
    from vrack.devices.switch import build_switch_devices

    return {
        "compute": build_compute_devices,
        "pdu": build_pdu_devices,
        "switch": build_switch_devices,
    }


def build_devices(plan: RackPlan, context: RackContext) -> Iterator[DeviceService]:
    """Every device of the plan, grouped by kind in registry order."""
    for factory in _factories().values():
        yield from factory(plan, context)


__all__ = ["DeviceService", "Factory", "RackContext", "build_devices"]
