"""A device's management link as a fault makes it: slow (latency and jitter) and lossy.

:class:`LinkGate` stands in front of a device's UDP server (the gate hook of
``bmc_sim``'s protocol and ``snmp_agent``'s endpoint): each request datagram is
dropped with probability ``loss``, else handled after ``latency`` seconds plus
a jitter drawn uniformly from ``[-jitter, +jitter]`` (never below zero), on the
rack's reactor.  Draws come from the fault's seeded RNG, one loss draw and one
delay draw per datagram in arrival order, so the same seed and the same traffic
give the same drops and delays.  Requests overtaken by shorter delays are
answered out of order, as on a real network.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LinkConditions:
    """What a link does to each request: ``loss`` probability, ``latency`` and ``jitter`` in seconds."""

    latency: float = 0.0
    jitter: float = 0.0
    loss: float = 0.0
    latency_rng: random.Random = field(default_factory=lambda: random.Random(0))
    loss_rng: random.Random = field(default_factory=lambda: random.Random(0))

    @property
    def clear(self) -> bool:
        return self.latency == 0 and self.jitter == 0 and self.loss == 0


@dataclass
class LinkStats:
    delayed: int = 0
    dropped: int = 0


class LinkGate:
    """The gate for one device: applies its :class:`LinkConditions` to every datagram."""

    def __init__(self, reactor: Any, conditions: LinkConditions) -> None:
        self.reactor = reactor
        self.conditions = conditions
        self.stats = LinkStats()

    def __call__(self, datagram: bytes, peer: Any, handle: Callable[[bytes, Any], None]) -> None:
        c = self.conditions
        if c.loss and c.loss_rng.random() < c.loss:
            self.stats.dropped += 1
            return
        delay = c.latency
        if c.jitter:
            delay = max(0.0, delay + c.jitter * (2 * c.latency_rng.random() - 1))
        if delay <= 0:
            handle(datagram, peer)
            return
        self.stats.delayed += 1
        self.reactor.callLater(delay, handle, datagram, peer)


class GatedLink:
    """Mixin for devices that play :class:`vrack.roles.LinkFaults`: keeps the conditions, installs the gate.

    A device supplies :meth:`_install_gate` (put the gate in front of its server, or remove it) and
    :meth:`_link_reactor`.  The gate is installed only while some condition is set, so a healthy link
    costs nothing per datagram.
    """

    _link_gate: LinkGate | None = None

    def _install_gate(self, gate: LinkGate | None) -> None:
        raise NotImplementedError

    def _link_reactor(self) -> Any:
        raise NotImplementedError

    def _gate(self) -> LinkGate:
        if self._link_gate is None:
            self._link_gate = LinkGate(self._link_reactor(), LinkConditions())
        return self._link_gate

    def set_link_latency(self, latency: float, jitter: float, rng: random.Random | None, cause: str) -> None:
        """Answer each request ``latency`` ± ``jitter`` seconds late (0, 0: on time again)."""
        gate = self._gate()
        gate.conditions.latency, gate.conditions.jitter = latency, jitter
        if rng is not None:
            gate.conditions.latency_rng = rng
        self._install_gate(None if gate.conditions.clear else gate)

    def set_link_loss(self, loss: float, rng: random.Random | None, cause: str) -> None:
        """Drop each request with probability ``loss`` (0: none)."""
        gate = self._gate()
        gate.conditions.loss = loss
        if rng is not None:
            gate.conditions.loss_rng = rng
        self._install_gate(None if gate.conditions.clear else gate)

    def link_state(self) -> dict[str, float | int]:
        """The link's conditions and what they did so far (for ``describe``)."""
        gate = self._link_gate
        if gate is None:
            return {"latency": 0.0, "jitter": 0.0, "loss": 0.0, "delayed": 0, "dropped": 0}
        c = gate.conditions
        return {
            "latency": c.latency,
            "jitter": c.jitter,
            "loss": c.loss,
            "delayed": gate.stats.delayed,
            "dropped": gate.stats.dropped,
        }
