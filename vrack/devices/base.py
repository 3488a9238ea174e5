"""What the rack asks of every device service."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from twisted.application.service import MultiService


class DeviceService(MultiService):
    """A named device (it plays :class:`vrack.roles.RackDevice`): its protocol servers are child services.

    Subclasses set ``kind`` and ``model`` and implement :meth:`describe`.  ``startService``
    binds the children in order and, if one fails, stops the ones already
    started before re-raising, so a failed device never keeps a port.
    """

    kind = "device"

    def __init__(self, name: str, model: str) -> None:
        super().__init__()
        self.setName(name)
        self._model = model

    @property
    def model(self) -> str:
        return self._model

    @property
    def device_name(self) -> str:
        return str(self.name)

    def describe(self) -> dict[str, Any]:
        """JSON-ready state for the control API."""
        return {"name": self.name, "kind": self.kind, "model": self.model}

    def answers_on_the_wire(self) -> bool:
        """Whether the device's management address answers now (a powered, booted controller)."""
        return True

    def credentials(self) -> dict[str, Any]:
        """Live credentials with secrets (the owner's ``vrack credentials``); none by default."""
        return {}

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


Started = TypeVar("Started", bound=DeviceService)


def start_devices(
    devices: Iterable[Started], network: Any, each: Callable[[int], None]
) -> tuple[list[Started], list[str]]:
    """Start (bind) every device, inside the rack's namespace when ``network`` (a RackNetwork) is given.

    A device that fails is reported as ``"name: error"`` and the others still start, so one start-up names
    every bind error; ``each(n)`` is called after each device with how many were tried.  Returns the started
    devices, in order, and the failures.
    """
    started: list[Started] = []
    failures: list[str] = []
    for device in devices:
        try:
            if network is not None:
                with network.in_netns():
                    device.startService()
            else:
                device.startService()
        except Exception as exc:  # every device reports its own bind error
            failures.append(f"{device.name}: {exc}")
        else:
            started.append(device)
        each(len(started) + len(failures))
    return started, failures
