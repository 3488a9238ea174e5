"""MIB content of the switch personalities, read through the MibSource as an agent would."""

from __future__ import annotations

from typing import Any

import pytest
from pysnmp.proto.rfc1902 import Integer32, OctetString
from twisted.internet.task import Clock

from snmp_agent.source import InconsistentValue, NotWritable, Oid, WrongLength, WrongType, parse_oid
from switch_sim import Switch
from switch_sim.addr import mac_bytes, mac_octets, parse_mac
from tests.switch_sim.conftest import MakeSwitch, peer


def walk(sw: Switch, prefix: str = "1") -> dict[Oid, Any]:
    """Every instance under ``prefix``, via get_next only; checks order and uniqueness on the way."""
    start = parse_oid(prefix)
    out: dict[Oid, Any] = {}
    oid: Oid = start
    last: Oid | None = None
    while (found := sw.source.get_next(oid)) is not None:
        oid, value = found
        if oid[: len(start)] != start:
            break
        assert last is None or oid > last, "get_next went backwards"
        assert sw.source.get(oid) is not None, "get_next returned an instance get cannot read"
        out[oid] = value
        last = oid
    return out


def column(sw: Switch, prefix: str) -> dict[Oid, Any]:
    """Column values keyed by row index."""
    n = len(parse_oid(prefix))
    return {oid[n:]: value for oid, value in walk(sw, prefix).items()}


def get(sw: Switch, oid: str) -> Any:
    value = sw.source.get(parse_oid(oid))
    assert value is not None, f"no instance {oid}"
    return value


@pytest.mark.parametrize("model", ["arista-7050", "cisco-nexus-3000"])
def test_full_walk_is_sorted_unique_and_ends(make_switch: MakeSwitch, model: str) -> None:
    """get_next walks the whole tree from (1,) to the end in strictly increasing order."""
    sw = make_switch(model=model)
    sw.set_link(1, True, peer=peer(1, mgmt_ip="10.0.0.1"))
    everything = walk(sw)
    assert len(everything) == sw.source.instance_count()
    assert 3500 < len(everything) < 6000
    assert sw.source.get_next(max(everything)) is None


def test_system_group_arista(make_switch: MakeSwitch, clock: Clock) -> None:
    """sysDescr names Arista as RackHD matches it; sysObjectID, sysUpTime (from the clock), sysName."""
    sw = make_switch(sys_contact="ops@example.net", sys_location="lab row 3")
    clock.advance(12.34)
    assert "Arista" in str(get(sw, "1.3.6.1.2.1.1.1.0"))
    assert str(get(sw, "1.3.6.1.2.1.1.1.0")) == (
        "Arista Networks EOS version 4.20.1F running on an Arista Networks DCS-7050TX-64"
    )
    assert str(get(sw, "1.3.6.1.2.1.1.2.0")) == "1.3.6.1.4.1.30065.1.3011.7050.3741.64"
    assert int(get(sw, "1.3.6.1.2.1.1.3.0")) == 1234
    assert str(get(sw, "1.3.6.1.2.1.1.4.0")) == "ops@example.net"
    assert str(get(sw, "1.3.6.1.2.1.1.5.0")) == "sw1"
    assert str(get(sw, "1.3.6.1.2.1.1.6.0")) == "lab row 3"
    assert int(get(sw, "1.3.6.1.2.1.1.7.0")) > 0


def test_system_group_cisco(make_switch: MakeSwitch) -> None:
    """The Cisco personality's sysDescr starts as NX-OS does and contains 'Cisco'."""
    sw = make_switch(model="cisco-nexus-3000")
    descr = str(get(sw, "1.3.6.1.2.1.1.1.0"))
    assert descr.startswith("Cisco NX-OS(tm) n3000")
    assert str(get(sw, "1.3.6.1.2.1.1.2.0")) == "1.3.6.1.4.1.9.12.3.1.3.1084"


def test_sys_name_set_feeds_lldp(make_switch: MakeSwitch) -> None:
    """A SET of sysName changes lldpLocSysName; wrong types and lengths are refused."""
    sw = make_switch()
    sw.source.set(parse_oid("1.3.6.1.2.1.1.5.0"), OctetString("leaf-7"))
    assert str(get(sw, "1.0.8802.1.1.2.1.3.3.0")) == "leaf-7"
    with pytest.raises(WrongType):
        sw.source.test_set(parse_oid("1.3.6.1.2.1.1.5.0"), Integer32(1))
    with pytest.raises(WrongLength):
        sw.source.test_set(parse_oid("1.3.6.1.2.1.1.5.0"), OctetString("x" * 256))
    with pytest.raises(NotWritable):
        sw.source.test_set(parse_oid("1.3.6.1.2.1.1.1.0"), OctetString("x"))


def test_if_table_rows_and_speeds(make_switch: MakeSwitch) -> None:
    """ifTable has every data port plus management; 10G ports saturate ifSpeed and use ifHighSpeed."""
    sw = make_switch()
    assert int(get(sw, "1.3.6.1.2.1.2.1.0")) == 49
    names = {row[0]: str(v) for row, v in column(sw, "1.3.6.1.2.1.31.1.1.1.1").items()}
    assert names[1] == "Ethernet1" and names[48] == "Ethernet48" and names[999001] == "Management1"
    assert int(get(sw, "1.3.6.1.2.1.2.2.1.5.1")) == 4294967295
    assert int(get(sw, "1.3.6.1.2.1.31.1.1.1.15.1")) == 10000
    assert int(get(sw, "1.3.6.1.2.1.2.2.1.5.999001")) == 1_000_000_000
    assert int(get(sw, "1.3.6.1.2.1.2.2.1.3.1")) == 6
    assert int(get(sw, "1.3.6.1.2.1.2.2.1.4.1")) == 9214


def test_cisco_interface_numbering(make_switch: MakeSwitch) -> None:
    """Nexus ifIndex values and names follow NX-OS (Ethernet1/n at 0x1a000000 + (n-1)*0x1000, mgmt0)."""
    sw = make_switch(model="cisco-nexus-3000")
    assert str(get(sw, "1.3.6.1.2.1.2.2.1.2.436207616")) == "Ethernet1/1"
    assert str(get(sw, "1.3.6.1.2.1.31.1.1.1.1.436211712")) == "Eth1/2"
    assert str(get(sw, "1.3.6.1.2.1.2.2.1.2.83886080")) == "mgmt0"


def test_oper_status_follows_link_and_peer_power(make_switch: MakeSwitch) -> None:
    """ifOperStatus is up(1) only while admin-up and the cabled peer is up; admin down via SET works."""
    sw = make_switch()
    oper, admin = "1.3.6.1.2.1.2.2.1.8", "1.3.6.1.2.1.2.2.1.7"
    assert int(get(sw, f"{oper}.3")) == 2
    sw.set_link(3, True, peer=peer(3))
    assert int(get(sw, f"{oper}.3")) == 1
    sw.source.set(parse_oid(f"{admin}.3"), Integer32(2))
    assert int(get(sw, f"{oper}.3")) == 2 and int(get(sw, f"{admin}.3")) == 2
    sw.source.set(parse_oid(f"{admin}.3"), Integer32(1))
    assert int(get(sw, f"{oper}.3")) == 1
    sw.set_link(3, False, peer=peer(3))
    assert int(get(sw, f"{oper}.3")) == 2
    assert int(get(sw, f"{oper}.999001")) == 1
    with pytest.raises(InconsistentValue):
        sw.source.test_set(parse_oid(f"{admin}.999001"), Integer32(2))


def test_if_alias_is_writable(make_switch: MakeSwitch) -> None:
    """ifAlias takes a DisplayString of up to 64 octets."""
    sw = make_switch()
    sw.source.set(parse_oid("1.3.6.1.2.1.31.1.1.1.18.4"), OctetString("uplink to node04"))
    assert str(get(sw, "1.3.6.1.2.1.31.1.1.1.18.4")) == "uplink to node04"


def test_phys_addresses_contain_lldp_chassis_id(make_switch: MakeSwitch) -> None:
    """lldpLocChassisId (subtype macAddress) is one of the ifPhysAddress values, as RackHD relations need."""
    sw = make_switch()
    phys = {bytes(v) for v in column(sw, "1.3.6.1.2.1.2.2.1.6").values()}
    assert int(get(sw, "1.0.8802.1.1.2.1.3.1.0")) == 4
    chassis = bytes(get(sw, "1.0.8802.1.1.2.1.3.2.0"))
    assert chassis == mac_bytes(parse_mac("52:54:00:aa:00:00"))
    assert chassis in phys
    assert len(phys) == 49
    assert bytes(get(sw, "1.3.6.1.2.1.17.1.1.0")) == chassis  # dot1dBaseBridgeAddress


def test_lldp_remote_entries_follow_link_state(make_switch: MakeSwitch, clock: Clock) -> None:
    """lldpRemTable rows (chassis = peer MAC, port id, sysname) exist only while the port is up."""
    sw = make_switch()
    rem = "1.0.8802.1.1.2.1.4.1.1"
    assert walk(sw, rem) == {}
    clock.advance(3)
    sw.set_link(5, True, peer=peer(5, mgmt_ip="10.0.0.5"))
    row = (300, 5, 1)
    assert int(get(sw, f"{rem}.4.300.5.1")) == 4
    assert bytes(column(sw, f"{rem}.5")[row]) == mac_bytes(parse_mac("52:54:00:00:01:05"))
    assert int(column(sw, f"{rem}.6")[row]) == 5 and str(column(sw, f"{rem}.7")[row]) == "eth0"
    assert str(column(sw, f"{rem}.9")[row]) == "node05"
    man = walk(sw, "1.0.8802.1.1.2.1.4.2.1")
    assert (1, 0, 8802, 1, 1, 2, 1, 4, 2, 1, 3, 300, 5, 1, 1, 4, 10, 0, 0, 5) in man
    assert int(get(sw, "1.0.8802.1.1.2.1.2.2.0")) == 1  # lldpStatsRemTablesInserts
    sw.set_link(5, False, peer=peer(5, mgmt_ip="10.0.0.5"))
    assert walk(sw, rem) == {} and walk(sw, "1.0.8802.1.1.2.1.4.2") == {}
    assert int(get(sw, "1.0.8802.1.1.2.1.2.3.0")) == 1  # lldpStatsRemTablesDeletes


def test_lldp_local_ports(make_switch: MakeSwitch) -> None:
    """lldpLocPortTable advertises each port's ifName (subtype interfaceName); management address is set."""
    sw = make_switch()
    assert int(get(sw, "1.0.8802.1.1.2.1.3.7.1.2.12")) == 5
    assert str(get(sw, "1.0.8802.1.1.2.1.3.7.1.3.12")) == "Ethernet12"
    assert int(get(sw, "1.0.8802.1.1.2.1.3.8.1.5.1.4.127.31.0.1")) == 999001


def test_fdb_tables_follow_link_state(make_switch: MakeSwitch) -> None:
    """dot1dTpFdbTable and dot1qTpFdbTable (VLAN 1) hold peers of up ports, by bridge port."""
    sw = make_switch()
    fdb, qfdb = "1.3.6.1.2.1.17.4.3.1", "1.3.6.1.2.1.17.7.1.2.2.1"
    assert walk(sw, fdb) == {} and walk(sw, qfdb) == {}
    sw.set_link(9, True, peer=peer(9))
    mac = mac_octets(parse_mac("52:54:00:00:01:09"))
    assert column(sw, f"{fdb}.2") == {mac: Integer32(9)}
    assert bytes(column(sw, f"{fdb}.1")[mac]) == bytes(mac)
    assert int(column(sw, f"{fdb}.3")[mac]) == 3  # learned
    assert column(sw, f"{qfdb}.2") == {(1, *mac): Integer32(9)}
    assert int(get(sw, "1.3.6.1.2.1.17.1.4.1.2.9")) == sw.port(9).if_index  # dot1dBasePortIfIndex
    sw.set_link(9, False, peer=peer(9))
    assert walk(sw, fdb) == {} and walk(sw, qfdb) == {}


def test_host_resources(make_switch: MakeSwitch, clock: Clock) -> None:
    """Processors in hrDeviceTable with loads 0..100 in the model range; a RAM storage row; uptime."""
    sw = make_switch()
    clock.advance(600)
    descrs = column(sw, "1.3.6.1.2.1.25.3.2.1.3")
    assert len(descrs) == 2 and all("Processor" in str(v) for v in descrs.values())
    loads = [int(v) for v in column(sw, "1.3.6.1.2.1.25.3.3.1.2").values()]
    assert len(loads) == 2 and all(4 <= x <= 22 for x in loads)
    storage = {row: str(v) for row, v in column(sw, "1.3.6.1.2.1.25.2.3.1.3").items()}
    assert storage[(1,)] == "RAM" and "/mnt/flash" in storage.values()
    used, size = int(get(sw, "1.3.6.1.2.1.25.2.3.1.6.1")), int(get(sw, "1.3.6.1.2.1.25.2.3.1.5.1"))
    assert 0 < used < size
    assert str(get(sw, "1.3.6.1.2.1.25.2.3.1.2.1")) == "1.3.6.1.2.1.25.2.1.2"  # hrStorageRam
    assert int(get(sw, "1.3.6.1.2.1.25.1.1.0")) == 60000


def test_processor_load_is_deterministic_and_varies(make_switch: MakeSwitch, clock: Clock) -> None:
    """Same seed and uptime give the same load; over an hour the load takes several values."""
    a, b = make_switch(seed=3), make_switch(seed=3)
    seen = set()
    for _ in range(60):
        clock.advance(60)
        la, lb = int(get(a, "1.3.6.1.2.1.25.3.3.1.2.196608")), int(get(b, "1.3.6.1.2.1.25.3.3.1.2.196608"))
        assert la == lb
        seen.add(la)
    assert len(seen) > 3


@pytest.mark.parametrize(
    ("model", "chassis", "name"),
    [("arista-7050", 1, "DCS-7050TX-64"), ("cisco-nexus-3000", 10, "N3K-C3064PQ-10GX")],
)
def test_entity_model_names(make_switch: MakeSwitch, model: str, chassis: int, name: str) -> None:
    """entPhysicalModelName of the chassis is the SKU string; ports, PSUs and fans hang off it."""
    sw = make_switch(model=model)
    ent = "1.3.6.1.2.1.47.1.1.1.1"
    assert str(get(sw, f"{ent}.13.{chassis}")) == name
    assert int(get(sw, f"{ent}.5.{chassis}")) == 3  # chassis
    assert str(get(sw, f"{ent}.11.{chassis}")) == "JPE12345678"
    classes = [int(v) for v in column(sw, f"{ent}.5").values()]
    assert classes.count(10) == 48 and classes.count(6) == 2 and classes.count(7) == 4
    contained = {int(v) for v in column(sw, f"{ent}.4").values()}
    assert contained <= set(int(r[0]) for r in column(sw, f"{ent}.5")) | {0}


def test_cisco_process_and_sensor_mibs(make_switch: MakeSwitch, clock: Clock) -> None:
    """Cisco serves cpmCPUTotalTable (physical index, 5s/1m/5m, memory) and the SKU-pack sensor OIDs."""
    sw = make_switch(model="cisco-nexus-3000")
    clock.advance(900)
    cpm = "1.3.6.1.4.1.9.9.109.1.1.1.1"
    assert int(get(sw, f"{cpm}.2.1")) == 22
    for col in (6, 7, 8):
        assert 3 <= int(get(sw, f"{cpm}.{col}.1")) <= 18
    used, free = int(get(sw, f"{cpm}.12.1")), int(get(sw, f"{cpm}.13.1"))
    assert used > 0 and free > 0 and used + free == 4095760
    assert int(get(sw, "1.3.6.1.4.1.9.9.117.1.1.2.1.2.470")) == 2
    assert int(get(sw, "1.3.6.1.4.1.9.9.117.1.1.2.1.2.471")) == 2
    assert int(get(sw, "1.3.6.1.4.1.9.9.117.1.4.1.1.1.534")) == 2
    assert 20 < int(get(sw, "1.3.6.1.4.1.9.9.91.1.1.1.1.4.21590")) < 60


def test_arista_has_no_cisco_mibs(make_switch: MakeSwitch) -> None:
    """Vendor MIBs are per personality: Arista serves nothing under Cisco's enterprise arc."""
    sw = make_switch()
    assert walk(sw, "1.3.6.1.4.1.9") == {}
