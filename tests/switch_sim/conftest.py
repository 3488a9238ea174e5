"""Fixtures for in-memory switch tests: a fake clock and switches built on it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from twisted.internet.task import Clock

from switch_sim import LinkPeer, Switch

BASE_MAC = "52:54:00:aa:00:00"


@pytest.fixture
def clock() -> Clock:
    c = Clock()
    c.advance(1_000_000.0)  # boot is not at time zero, so uptime arithmetic is exercised
    return c


MakeSwitch = Callable[..., Switch]


@pytest.fixture
def make_switch(clock: Clock) -> MakeSwitch:
    def make(model: str = "arista-7050", ports: int = 48, seed: int = 7, **kw: object) -> Switch:
        args: dict[str, object] = {
            "name": "sw1",
            "ports": ports,
            "clock": clock,
            "base_mac": BASE_MAC,
            "serial": "JPE12345678",
            "seed": seed,
            "management_ip": "127.31.0.1",
        }
        args.update(kw)
        return Switch(model, **args)  # type: ignore[arg-type]

    return make


def peer(n: int, *, mgmt_ip: str | None = None) -> LinkPeer:
    """The NIC of simulated node ``n``."""
    return LinkPeer(
        mac=f"52:54:00:00:01:{n:02x}",
        chassis_name=f"node{n:02d}",
        port_id="eth0",
        port_descr="Intel 82540EM",
        system_descr="Debian GNU/Linux 8 (jessie) Linux 3.16",
        mgmt_ip=mgmt_ip,
    )
