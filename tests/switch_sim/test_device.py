"""Switch device logic: link/admin/oper state, listeners, FDB learning and ageing, LLDP neighbours."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from switch_sim import LinkEvent, Switch
from tests.switch_sim.conftest import MakeSwitch, peer


def test_oper_up_needs_admin_up_and_peer_up(make_switch: MakeSwitch) -> None:
    """A port is oper-up only while it is admin-up and its cabled peer is up."""
    sw = make_switch()
    p = sw.port(3)
    assert not p.oper_up  # uncabled
    sw.set_link(3, False, peer=peer(3))
    assert not p.oper_up  # cabled, node powered off
    sw.set_link(3, True, peer=peer(3))
    assert p.oper_up
    sw.set_admin(3, False)
    assert not p.oper_up and p.link_up
    sw.set_admin(3, True)
    assert p.oper_up
    sw.set_link(3, False, peer=peer(3))
    assert not p.oper_up


def test_management_port_is_up_and_has_the_base_mac(make_switch: MakeSwitch) -> None:
    """The management interface is up from boot and carries the base MAC; port n has base + n."""
    sw = make_switch()
    assert sw.mgmt.oper_up
    assert sw.mgmt.mac == sw.base_mac
    assert sw.port(5).mac == sw.base_mac + 5


def test_listeners_see_oper_changes_only(make_switch: MakeSwitch, clock: Clock) -> None:
    """Listeners get one event per oper-status change, with the time; unsubscribing stops them."""
    sw = make_switch()
    events: list[LinkEvent] = []
    remove = sw.add_link_listener(events.append)
    sw.set_link(1, True, peer=peer(1))
    sw.set_link(1, True, peer=peer(1))  # no change
    clock.advance(10)
    sw.set_admin(1, False)
    assert [(e.port, e.oper_up) for e in events] == [(1, True), (1, False)]
    assert events[1].at == clock.seconds()
    assert events[0].peer == peer(1) and events[0].if_index == sw.port(1).if_index
    remove()
    sw.set_admin(1, True)
    assert len(events) == 2


def test_bad_port_numbers_and_models(make_switch: MakeSwitch) -> None:
    """Out-of-range ports, too many ports and unknown models are refused with a clear message."""
    sw = make_switch(ports=8)
    with pytest.raises(ValueError, match=r"ports 1\.\.8"):
        sw.set_link(9, True)
    with pytest.raises(ValueError, match=r"1\.\.64 ports"):
        make_switch(ports=65)
    with pytest.raises(ValueError, match="valid models: arista-7050, cisco-nexus-3000"):
        make_switch(model="juniper-qfx")
    with pytest.raises(ValueError, match="not a MAC"):
        make_switch(base_mac="52:54:00")


def test_fdb_follows_link_state(make_switch: MakeSwitch) -> None:
    """A peer's MAC is in the FDB while its port is up and is flushed when the port goes down."""
    sw = make_switch()
    sw.set_link(2, True, peer=peer(2))
    sw.set_link(4, True, peer=peer(4))
    assert sw.fdb_entries() == [("52:54:00:00:01:02", 2), ("52:54:00:00:01:04", 4)]
    sw.set_link(2, False, peer=peer(2))
    assert sw.fdb_entries() == [("52:54:00:00:01:04", 4)]
    sw.set_admin(4, False)
    assert sw.fdb_entries() == []


def test_learned_macs_age_out_deterministically(make_switch: MakeSwitch, clock: Clock) -> None:
    """learn_mac entries live fdb_aging_time seconds after the last sighting; the peer MAC is pinned."""
    sw = make_switch(fdb_aging_time=300.0)
    sw.set_link(1, True, peer=peer(1))
    assert sw.learn_mac(1, "02:00:00:00:00:01")
    assert not sw.learn_mac(2, "02:00:00:00:00:02")  # port 2 is down: nothing learned
    clock.advance(200)
    sw.learn_mac(1, "02:00:00:00:00:01")  # refreshed
    clock.advance(299)
    assert "02:00:00:00:00:01" in dict(sw.fdb_entries())
    clock.advance(1)
    assert dict(sw.fdb_entries()) == {"52:54:00:00:01:01": 1}
    clock.advance(10_000)
    assert dict(sw.fdb_entries()) == {"52:54:00:00:01:01": 1}


def test_station_move(make_switch: MakeSwitch) -> None:
    """A MAC seen on another port moves there."""
    sw = make_switch()
    sw.set_link(1, True, peer=peer(1))
    sw.set_link(2, True, peer=peer(2))
    sw.learn_mac(1, "02:00:00:00:00:09")
    sw.learn_mac(2, "02:00:00:00:00:09")
    assert dict(sw.fdb_entries())["02:00:00:00:00:09"] == 2


def test_lldp_neighbours_follow_link_state(make_switch: MakeSwitch, clock: Clock) -> None:
    """A neighbour exists while its port is up, with the time mark of when it came up."""
    sw = make_switch()
    clock.advance(12.5)
    sw.set_link(7, True, peer=peer(7))
    (n,) = sw.neighbors()
    assert (n.port, n.time_mark, n.index, n.peer.chassis_name) == (7, 1250, 1, "node07")
    sw.set_link(7, False, peer=peer(7))
    assert sw.neighbors() == []
    sw.set_link(7, True, peer=peer(7))
    assert [x.index for x in sw.neighbors()] == [2]
    assert (sw.lldp_inserts, sw.lldp_deletes) == (2, 1)


def test_recabling_an_up_port_replaces_neighbour_and_fdb(make_switch: MakeSwitch) -> None:
    """Moving a cable to another powered node without a link flap swaps LLDP and FDB entries."""
    sw = make_switch()
    sw.set_link(1, True, peer=peer(1))
    sw.set_link(1, True, peer=peer(9))
    assert [n.peer.chassis_name for n in sw.neighbors()] == ["node09"]
    assert sw.fdb_entries() == [("52:54:00:00:01:09", 1)]


def test_link_without_peer_info(make_switch: MakeSwitch) -> None:
    """A link up with no peer description is oper-up but has no LLDP or FDB entry."""
    sw: Switch = make_switch()
    sw.set_link(1, True)
    assert sw.port(1).oper_up
    assert sw.neighbors() == [] and sw.fdb_entries() == []


def test_advertisement_matches_the_mib(make_switch: MakeSwitch) -> None:
    """What a node hears over LLDP is the switch's base MAC, the port's ifName and sysName."""
    sw = make_switch()
    ad = sw.advertisement(12)
    assert ad.mac == "52:54:00:aa:00:00"  # the base MAC = management ifPhysAddress
    assert (ad.port_id, ad.port_descr, ad.chassis_name, ad.mgmt_ip) == ("Ethernet12", "Ethernet12", "sw1", "127.31.0.1")
    assert "Arista" in ad.system_descr
