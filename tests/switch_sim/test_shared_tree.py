"""Switches of one shape (model, port count, management address or not) share one MIB tree.

Each switch must still answer from its own state: a walk through the shared tree equals a walk through a
tree built for that switch alone, after the switches of one shape went through different link, FDB, LLDP,
admin and SET histories (the FDB and LLDP row caches are per switch).
"""

from __future__ import annotations

from pysnmp.proto.rfc1902 import OctetString
from twisted.internet.task import Clock

from snmp_agent.source import parse_oid
from switch_sim.device import Switch
from switch_sim.mibs import shared_tree
from switch_sim.ports import LinkPeer
from tests.support.mib_walk import walk


def switch(clock: Clock, name: str, seed: int, model: str = "arista-7050", ip: str | None = "127.67.9.1") -> Switch:
    return Switch(
        model,
        name=name,
        ports=24,
        clock=clock,
        base_mac=f"00:1c:73:00:{seed:02x}:00",
        serial=f"SN{seed}",
        seed=seed,
        management_ip=ip,
    )


def peer(n: int) -> LinkPeer:
    return LinkPeer(f"52:54:00:00:00:{n:02x}", f"node{n}", "eth0", "eth0", "Linux", f"127.67.9.{100 + n}")


def test_one_tree_per_shape() -> None:
    clock = Clock()
    a, b = switch(clock, "a", 1), switch(clock, "b", 2)
    other_model = switch(clock, "c", 3, "cisco-nexus-3000")
    no_address = switch(clock, "d", 4, ip=None)
    assert a.source.tree is b.source.tree
    assert other_model.source.tree is not a.source.tree and no_address.source.tree is not a.source.tree
    assert all(oid[:10] != (1, 0, 8802, 1, 1, 2, 1, 3, 8, 1) for oid, _ in walk(no_address.source))


def test_switches_of_one_shape_answer_from_their_own_state() -> None:
    clock = Clock()
    a, b = switch(clock, "a", 1), switch(clock, "b", 2)
    shared = [a.source, b.source]  # before any state: the row caches must follow later changes
    clock.advance(30)
    a.set_link(1, True, peer=peer(1))
    a.set_link(2, True, peer=peer(2))
    a.learn_mac(2, "52:54:00:00:00:77")
    b.set_link(3, True, peer=peer(3))
    b.set_admin(4, False)
    alias = parse_oid("1.3.6.1.2.1.31.1.1.1.18.5")
    a.source.set(alias, OctetString("uplink"))
    b.source.set(parse_oid("1.3.6.1.2.1.1.5.0"), OctetString("renamed"))
    clock.advance(600)
    a.set_link(2, False)
    assert a.source.get(alias) == OctetString("uplink") and b.source.get(alias) == OctetString("")
    for sw, source in zip((a, b), shared, strict=True):
        alone = shared_tree(sw).bind(sw)
        assert alone.tree is not source.tree
        assert walk(source) == walk(alone), sw.name
    fdb_port = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2)
    assert [oid for oid, _ in walk(a.source) if oid[:11] == fdb_port] != [
        oid for oid, _ in walk(b.source) if oid[:11] == fdb_port
    ]
