"""A node's firmware between host power on and its boot attempt: POST, for the time its hardware takes.

:class:`HostFirmware` runs one timer on the rack's reactor: at host power on it shows the POST screen on
the console, journals ``host``/``post`` with its ``seconds`` and, when they have passed, tells the
console and the node's backend to boot from the device chosen at power on.  A reset during POST starts
it again, power off cancels it.  ``post_seconds`` comes from the spec, else the hardware personality
(``node_sim/hardware/*.yaml``); VM nodes skip it, their own firmware runs.
"""

from __future__ import annotations

from typing import Any

from vrack.devices.virtual_cd import BOOT_DEVICE, VirtualCdBoot
from vrack.journal import Journal
from vrack.plan import NodePlan


def post_seconds(plan: NodePlan) -> float:
    """Seconds of POST after host power on: the spec's ``post_seconds``, else the hardware personality's."""
    if plan.spec.post_seconds is not None:
        return plan.spec.post_seconds
    from node_sim.hardware import load_hardware

    return load_hardware(plan.spec.model).post_seconds


class HostFirmware:
    """POST between host power on and the backend's boot (see the module docstring)."""

    def __init__(self, node: str, seconds: float, reactor: Any, journal: Journal, console: Any, backend: Any) -> None:
        self.node = node
        self.seconds = seconds
        self.reactor = reactor
        self.journal = journal
        self.console = console
        self.backend = backend
        self._pending: Any = None  # the end of POST (a DelayedCall) while the host is in POST
        self.virtual_cd: VirtualCdBoot | None = None  # boots from the BMC's virtual media, where the node can
        self._image: str | None = None
        self._mode = "uefi"  # of the start in progress: the backend's network boot follows it

    def power_on(
        self,
        boot: str,
        cause: str,
        boot_mode: str = "uefi",
        bios: dict[str, object] | None = None,
        image: str | None = None,
    ) -> None:
        """The host powered on or was reset: POST (again), then the boot attempt from ``boot`` in ``boot_mode``
        (uefi or legacy).  ``bios`` are the BIOS settings this start applied (journalled as ``bios-applied``).
        With ``boot`` ``virtual-cd``, :attr:`virtual_cd` boots ``image`` instead of the backend."""
        self._cancel()
        self._image, self._mode = image, boot_mode
        if bios:
            self.journal.append(self.node, "host", "bios-applied", attributes=bios, cause=cause)
        delay = 0.0 if self.backend.kind == "vm" else self.seconds
        self.console.power_on(boot, post_seconds=delay, boot_mode=boot_mode)
        if delay <= 0:
            self._boot(boot, cause)
            return
        self.journal.append(
            self.node, "host", "post", seconds=delay, boot_device=boot, boot_mode=boot_mode, cause=cause
        )
        self._pending = self.reactor.callLater(delay, self._done, boot, cause)

    def power_off(self, cause: str) -> None:
        self._cancel()
        self.console.power_off()
        self.backend.host_off(cause)

    def describe(self) -> dict[str, Any]:
        """``post_seconds``, and ``in_post`` (seconds left) while the host is in POST."""
        info: dict[str, Any] = {"post_seconds": self.seconds}
        if self._pending is not None and self._pending.active():
            info["in_post"] = round(self._pending.getTime() - self.reactor.seconds(), 3)
        return info

    def _done(self, boot: str, cause: str) -> None:
        self._pending = None
        self.console.post_done()
        self._boot(boot, cause)

    def _boot(self, boot: str, cause: str) -> None:
        if boot == BOOT_DEVICE and self.virtual_cd is not None and self._image is not None:
            self.virtual_cd.boot(self._image, cause)
        else:
            self.backend.host_on(boot, cause, self._mode)

    def _cancel(self) -> None:
        if self.virtual_cd is not None:
            self.virtual_cd.cancel()
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        self._pending = None
