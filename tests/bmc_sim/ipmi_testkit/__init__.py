"""Test kit for bmc_sim's session layer: a device double, in-memory clients, a server script."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from twisted.internet.task import Clock

from bmc_sim.config import BmcConfig
from bmc_sim.message import RequestRecord
from bmc_sim.session import BmcEndpoint

from .double import DeviceDouble, make_config

__all__ = ["DeviceDouble", "Rig", "make_config", "make_rig"]


@dataclass
class Rig:
    """An endpoint wired to a device double, a fake clock and a record list."""

    endpoint: BmcEndpoint
    device: DeviceDouble
    clock: Clock
    records: list[RequestRecord] = field(default_factory=list)

    def sender(self, peer: tuple[str, int] = ("127.20.0.9", 40000)) -> Callable[[bytes], list[bytes]]:
        return lambda datagram: self.endpoint.datagram_received(datagram, peer)

    def outcomes(self) -> list[str]:
        return [record.outcome for record in self.records]


def make_rig(config: BmcConfig | None = None) -> Rig:
    device = DeviceDouble(config or make_config())
    clock = Clock()
    clock.advance(1000.0)
    records: list[RequestRecord] = []
    endpoint = BmcEndpoint(device, clock, observer=records.append)
    return Rig(endpoint, device, clock, records)
