"""What the rack asks of every device service."""

from __future__ import annotations

from typing import Any

from twisted.application.service import MultiService


class DeviceService(MultiService):
    """A named device: its protocol servers are child services.

    Subclasses set ``kind`` and implement :meth:`describe`.  ``startService``
    binds the children in order and, if one fails, stops the ones already
    started before re-raising, so a failed device never keeps a port.
    """

    kind = "device"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setName(name)

    @property
    def device_name(self) -> str:
        return str(self.name)

    def describe(self) -> dict[str, Any]:
        """JSON-ready state for the control API."""
        return {"name": self.name, "kind": self.kind}

    def startService(self) -> None:
        started = []
        try:
            for child in self.services:
                child.startService()
                started.append(child)
        except Exception:
            for child in reversed(started):
                child.stopService()
            raise
        self.running = 1
