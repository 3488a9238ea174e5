"""Scale: many fully cabled switches in one process stay small."""

from __future__ import annotations

import tracemalloc

from twisted.internet.task import Clock

from switch_sim import LinkPeer, Switch


def _switch(i: int, clock: Clock) -> Switch:
    sw = Switch(
        "arista-7050" if i % 2 else "cisco-nexus-3000",
        name=f"sw{i}",
        ports=48,
        clock=clock,
        base_mac=f"52:54:00:{i:02x}:00:00",
        serial="JPE00000001",
        seed=i,
        management_ip="127.31.0.1",
    )
    for p in range(1, 49):
        sw.set_link(p, True, peer=LinkPeer(f"52:54:01:{i:02x}:00:{p:02x}", f"n{p}", "eth0", "eth0", "Linux"))
    return sw


def test_forty_switches_cost_well_under_60_mb() -> None:
    """40 cabled 48-port switches with built MIB trees allocate less than 30 MB of Python memory."""
    clock = Clock()
    _switch(99, clock).source.instance_count()  # import and cache everything first
    tracemalloc.start()
    try:
        switches = [_switch(i, clock) for i in range(40)]
        for sw in switches:
            assert sw.source.get_next((1,)) is not None
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current < 30 * 1024 * 1024, f"{current / 1e6:.1f} MB"
