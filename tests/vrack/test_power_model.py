"""The power and cabling model in memory: outlets feed supplies, hosts drive links, loads follow draw."""

from __future__ import annotations

from tests.vrack.inmemory import MemoryRack


def test_outlet_off_darkens_the_bmc_stops_the_host_and_drops_the_port_in_that_order() -> None:
    m = MemoryRack()
    m.advance(3)
    m.rack.power_node("node01", "on", "test")
    assert m.rack.switch("sw1").port_oper_up(1)
    mark = m.journal.last_seq
    m.rack.switch_outlet("pdu1", 1, "off", "test")
    node = m.rack.node("node01")
    assert not node.host_powered
    chain = [(e["device"], e["operation"]) for e in m.journal.entries(mark)]
    assert chain.index(("pdu1", "outlet")) < chain.index(("node01", "ac-power")) < chain.index(("sw1", "port-down"))
    assert not m.rack.switch("sw1").port_oper_up(1)


def test_a_node_with_two_supplies_keeps_ac_until_both_feeds_are_off() -> None:
    m = MemoryRack()
    m.rack.switch_outlet("pdu1", 3, "off", "test")
    assert m.rack.power.node_has_ac("node03")
    m.rack.switch_outlet("pdu1", 4, "off", "test")
    assert not m.rack.power.node_has_ac("node03")
    assert m.events(device="node03", operation="ac-power", on=False)


def test_ac_back_boots_the_bmc_after_its_boot_time() -> None:
    m = MemoryRack()
    m.rack.switch_outlet("pdu1", 1, "off", "test")
    m.rack.switch_outlet("pdu1", 1, "on", "test")
    device = m.rack.devices["node01"]
    assert not device.bmc.responsive  # type: ignore[attr-defined]
    m.advance(2.2)
    assert device.bmc.responsive  # type: ignore[attr-defined]


def test_outlet_load_follows_host_power_and_splits_over_two_supplies() -> None:
    m = MemoryRack()
    m.advance(3)
    pdu = m.rack.pdus["pdu1"]
    off_draw = [o["watts"] for o in pdu.describe()["outlets"][2:4]]
    m.rack.power_node("node03", "on", "test")
    on_draw = [o["watts"] for o in pdu.describe()["outlets"][2:4]]
    assert on_draw[0] == on_draw[1] > off_draw[0] > 0
    m.rack.switch_outlet("pdu1", 4, "off", "test")
    after = [o["watts"] for o in pdu.describe()["outlets"][2:4]]
    assert after[1] == 0 and after[0] == on_draw[0] * 2


def test_unplugging_a_cable_drops_the_port_and_silences_lldp_until_plugged_again() -> None:
    m = MemoryRack()
    m.advance(3)
    m.rack.power_node("node02", "on", "test")
    heard = m.rack.power.lldp_neighbors("node02")
    assert [(h.nic, h.remote.chassis_name) for h in heard] == [(0, m.rack.switches["sw1"].port_end(2).chassis_name)]
    m.rack.set_cable("sw1", 2, False, "test")
    assert not m.rack.switch("sw1").port_oper_up(2)
    assert m.rack.power.lldp_neighbors("node02") == ()
    m.rack.set_cable("sw1", 2, True, "test")
    assert m.rack.switch("sw1").port_oper_up(2)
    assert m.events(device="node02", protocol="cable", operation="unplugged", port=2)


def test_the_switch_learns_the_cabled_nic_as_the_node_presents_it() -> None:
    m = MemoryRack()
    m.advance(3)
    m.rack.power_node("node03", "on", "test")
    fdb = m.rack.switches["sw1"].describe()["fdb"]
    assert {"mac": m.rack.plan.node("node03").nic_macs[1], "port": 3} in fdb
