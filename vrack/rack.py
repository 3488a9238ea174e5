"""The running rack: one MultiService of named device services on one reactor.

``Rack`` builds every device from a :class:`vrack.plan.RackPlan` through the
device factories (:mod:`vrack.devices`), wires them to the power and cabling
model and the journal, and binds their ports when it starts.  Starting is all
or nothing: if any device cannot bind, everything already bound is released
and :class:`RackStartError` lists every failure, each naming the device and
address.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, DeferredList, inlineCallbacks, maybeDeferred

from vrack.clock import RackClock
from vrack.devices import DeviceService, RackContext, build_devices
from vrack.journal import Journal
from vrack.plan import RackPlan
from vrack.power import PowerModel


class RackStartError(Exception):
    """One or more devices could not start; ``failures`` holds each message."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        text = "the rack could not start:\n" + "\n".join(f"  {f}" for f in failures)
        if any("CAP_NET_BIND_SERVICE" in f or "Permission denied" in f for f in failures):
            text += "\nhint: without root, move the ports in the spec, e.g. `ports: {ipmi: 6230, snmp: 1161}`"
        super().__init__(text)


class Rack(MultiService):
    """All devices of one rack, started in spec order and stopped in reverse."""

    def __init__(
        self,
        plan: RackPlan,
        reactor: Any,
        journal: Journal,
        clock: RackClock,
        network: Any | None = None,
        state_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.network = network  # a vrack.netns.RackNetwork in netns mode: devices bind inside it
        self.reactor = reactor
        self.journal = journal
        self.clock = clock
        self.setName(plan.spec.rack)
        self.devices: dict[str, DeviceService] = {}
        context = RackContext(reactor, journal, clock, network, state_path)
        for device in build_devices(plan, context):
            self.devices[device.device_name] = device
            device.setServiceParent(self)
        self.power = PowerModel(plan, self.devices, journal)

    def startService(self) -> None:
        """Bind every device; on any failure release all and raise RackStartError."""
        self.journal.open()
        started: list[DeviceService] = []
        failures: list[str] = []
        for device in self.devices.values():
            try:
                if self.network is not None:
                    with self.network.in_netns():
                        device.startService()
                else:
                    device.startService()
            except Exception as exc:  # every device reports its own bind error
                failures.append(f"{device.name}: {exc}")
            else:
                started.append(device)
        if failures:
            for device in reversed(started):
                device.stopService()
            self.journal.close()
            raise RackStartError(failures)
        self.running = 1
        self.power.apply_initial_state()
        self.journal.append(self.name or "rack", "control", "rack-started", devices=len(self.devices))

    @inlineCallbacks
    def stopService(self) -> Generator[Deferred[Any], Any, None]:
        """Stop devices in reverse start order, then close the journal."""
        if not self.running:
            return
        self.running = 0
        self.journal.append(self.name or "rack", "control", "rack-stopping")
        stops = [maybeDeferred(d.stopService) for d in reversed(list(self.devices.values()))]
        yield DeferredList(stops, consumeErrors=True)
        self.journal.close()
