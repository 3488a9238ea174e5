"""Switch interfaces: identity, admin/link state and deterministic traffic counters.

Counters are not stored: each port has a constant rate per counter (derived
from the switch seed and the port's ifIndex) and a counter's value is
``floor(rate * seconds the port has been oper-up)``.  They are therefore
monotonic, frozen while the port is down, exactly reproducible for a given
seed and clock, and cost a multiplication to read.  The 32-bit IF-MIB columns
are the 64-bit values modulo 2**32, so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from switch_sim.detrand import uniform, unit

COUNTERS = (
    "in_octets",
    "in_ucast",
    "in_mcast",
    "in_bcast",
    "in_discards",
    "in_errors",
    "in_unknown_protos",
    "out_octets",
    "out_ucast",
    "out_mcast",
    "out_bcast",
    "out_discards",
    "out_errors",
)
COUNTER = {name: i for i, name in enumerate(COUNTERS)}
MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class LinkPeer:
    """What is cabled to a port: a node NIC, described as LLDP would advertise it."""

    mac: str
    chassis_name: str
    port_id: str
    port_descr: str
    system_descr: str
    mgmt_ip: str | None = None


def derive_rates(seed: int, if_index: int, speed_mbps: int) -> tuple[float, ...]:
    """Per-second rates of every counter in :data:`COUNTERS` for one port.

    Utilisation is 0.05%..2% of line rate in each direction (a 10G port's
    ifInOctets wraps within minutes to tens of minutes), average frame size
    300..1200 bytes, 2% multicast and 1% broadcast frames; about one port in
    four sees discards and one in eight sees errors, at a low rate.
    """
    line = speed_mbps * 125_000.0  # bytes per second
    rates: list[float] = []
    for direction in (0, 1):
        octets = line * uniform(0.0005, 0.02, seed, if_index, direction, 1)
        frames = octets / uniform(300.0, 1200.0, seed, if_index, direction, 2)
        discards = (
            uniform(0.001, 0.05, seed, if_index, direction, 3) if unit(seed, if_index, direction, 4) < 0.25 else 0
        )
        errors = uniform(0.001, 0.02, seed, if_index, direction, 5) if unit(seed, if_index, direction, 6) < 0.125 else 0
        rates += [octets, frames * 0.97, frames * 0.02, frames * 0.01, discards, errors]
        if direction == 0:
            rates.append(uniform(0.0, 0.05, seed, if_index, 7))  # in_unknown_protos
    return tuple(rates)


class Port:
    """One interface of the switch (a numbered data port or the management port).

    ``oper_up`` is ``admin_up and link_up``; ``link_up`` means something is
    cabled and its end is up (the node NIC is powered).  Times are clock
    seconds; ``last_change`` is when ``oper_up`` last changed.
    """

    __slots__ = (
        "_rates",
        "_seed",
        "_up_since",
        "_up_total",
        "admin_up",
        "alias",
        "descr",
        "if_index",
        "last_change",
        "link_up",
        "mac",
        "mgmt",
        "mtu",
        "name",
        "number",
        "peer",
        "speed_mbps",
    )

    def __init__(
        self,
        *,
        number: int,
        if_index: int,
        descr: str,
        name: str,
        mac: int,
        speed_mbps: int,
        mtu: int,
        mgmt: bool,
        rates: tuple[float, ...] | None = None,
        seed: int = 0,
        now: float,
    ) -> None:
        self.number = number
        self.if_index = if_index
        self.descr = descr
        self.name = name
        self.mac = mac
        self.speed_mbps = speed_mbps
        self.mtu = mtu
        self.mgmt = mgmt
        self._rates = rates
        self._seed = seed
        self.admin_up = True
        self.link_up = False
        self.peer: LinkPeer | None = None
        self.alias = ""
        self.last_change = now
        self._up_total = 0.0
        self._up_since: float | None = None

    @property
    def rates(self) -> tuple[float, ...]:
        """The counter rates given, else :func:`derive_rates` of ``seed`` (made at first use: most ports of a
        big rack are never polled, and each port's rates cost 13 floats and ~20 hashes)."""
        rates = self._rates
        if rates is None:
            rates = self._rates = derive_rates(self._seed, self.if_index, self.speed_mbps)
        return rates

    @property
    def oper_up(self) -> bool:
        return self.admin_up and self.link_up

    def apply(self, now: float, *, admin_up: bool | None = None, link_up: bool | None = None) -> bool:
        """Change admin and/or link state at clock time ``now``; True if oper status changed."""
        was = self.oper_up
        if admin_up is not None:
            self.admin_up = admin_up
        if link_up is not None:
            self.link_up = link_up
        if self.oper_up == was:
            return False
        if self.oper_up:
            self._up_since = now
        else:
            assert self._up_since is not None
            self._up_total += now - self._up_since
            self._up_since = None
        self.last_change = now
        return True

    def up_seconds(self, now: float) -> float:
        """Total time this port has been oper-up, up to ``now``."""
        if self._up_since is None:
            return self._up_total
        return self._up_total + max(0.0, now - self._up_since)

    def counter(self, index: int, now: float) -> int:
        """The 64-bit value of counter ``COUNTERS[index]`` at ``now``."""
        return int(self.rates[index] * self.up_seconds(now)) & MASK64
