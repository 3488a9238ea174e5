"""End to end: RackHD's exact PDU command lines (net-snmp, numeric OIDs) against PDUs on 127.30.10.x.

Each PDU is a real SnmpAgent on a private asyncio loop; the PDUs' reboot timers run on the loop's fake
clock, so reboot timing is checked without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from pdu_sim import Pdu
from snmp_agent import CommunityConfig, SnmpAgent, SnmpRecord
from snmp_agent.testing import AgentLoop, target

pytestmark = pytest.mark.e2e

COMMUNITIES = [CommunityConfig("public", "ro"), CommunityConfig("private", "rw")]


class Rack:
    def __init__(self) -> None:
        self.loop = AgentLoop()
        self.records: list[SnmpRecord] = []
        self.events: list[tuple[str, int, bool, str]] = []
        self.pdus: dict[str, Pdu] = {}
        self.agents: dict[str, SnmpAgent] = {}

    def add(self, name: str, model: str, address: str, outlets: int) -> None:
        pdu = Pdu(model, name=name, outlets=outlets, clock=self.loop.clock, reboot_delay=5.0)
        pdu.add_outlet_listener(lambda n, on, cause: self.events.append((name, n, on, cause)))
        self.pdus[name] = pdu
        self.agents[name] = self.loop.agent(
            pdu.source, address=address, name=name, communities=COMMUNITIES, observer=self.records.append
        )

    def snmp(self, *args: str) -> str:
        r = self.loop.tool(*args)
        assert r.returncode == 0, f"{' '.join(args)}: {r.stderr}"
        return r.stdout.strip()

    def ip(self, name: str) -> str:
        return target(self.agents[name])


@pytest.fixture(scope="module")
def rack() -> Iterator[Rack]:
    r = Rack()
    r.add("sentry", "servertech-sentry3", "127.30.10.1", 16)
    r.add("apc", "apc-powernet", "127.30.10.2", 8)
    r.add("hawk", "sinetica-hawk-i2", "127.30.10.3", 30)
    yield r
    r.loop.close()


def test_servertech_rackhd_off_on_reboot(rack: Rack) -> None:
    """pdu_lib.py / servertech-obm-service: outletControlAction i 2/1/3, outletControlState reads 4/5/8."""
    ip = rack.ip("sentry")
    action, state = ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1.{}", ".1.3.6.1.4.1.1718.3.2.3.1.10.1.1.{}"
    rack.snmp("snmpset", "-v2c", "-c", "private", ip, action.format(7), "i", "2")
    assert rack.snmp("snmpget", "-v2c", "-c", "public", ip, state.format(7)).endswith("INTEGER: 4")
    assert ("sentry", 7, False, "snmp:Sentry3-MIB::outletControlAction") in rack.events
    rack.snmp("snmpset", "-v2c", "-c", "private", ip, action.format(7), "i", "1")
    assert rack.snmp("snmpget", "-v2c", "-c", "public", ip, state.format(7)).endswith("INTEGER: 5")
    rack.snmp("snmpset", "-v2c", "-c", "private", ip, action.format(8), "i", "3")
    assert rack.snmp("snmpwalk", "-v2c", "-c", "public", ip, state.format(8)).endswith("INTEGER: 8")
    rack.loop.clock.advance(5.0)
    assert rack.snmp("snmpwalk", "-v2c", "-c", "public", ip, state.format(8)).endswith("INTEGER: 5")
    assert [e for e in rack.events if e[:2] == ("sentry", 8)] == [
        ("sentry", 8, False, "snmp:Sentry3-MIB::outletControlAction"),
        ("sentry", 8, True, "snmp:Sentry3-MIB::outletControlAction"),
    ]


def test_servertech_read_only_community_cannot_switch(rack: Rack) -> None:
    """`snmpset -c public` is refused (noAccess) and the outlet keeps power."""
    r = rack.loop.tool(
        "snmpset", "-v2c", "-c", "public", rack.ip("sentry"), ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1.9", "i", "2"
    )
    assert r.returncode != 0 and "noAccess" in r.stderr
    assert rack.pdus["sentry"].outlet_state(9)


def test_apc_rackhd_set_then_walk(rack: Rack) -> None:
    """apc-obm-service: snmpset sPDUOutletCtl.<n> i 2, then snmpwalk it reads 2 (outletOff); i 1 reads 1."""
    ip, oid = rack.ip("apc"), ".1.3.6.1.4.1.318.1.1.4.4.2.1.3.3"
    rack.snmp("snmpset", "-v2c", "-c", "private", ip, oid, "i", "2")
    assert rack.snmp("snmpwalk", "-v2c", "-c", "private", ip, oid) == "iso.3.6.1.4.1.318.1.1.4.4.2.1.3.3 = INTEGER: 2"
    assert not rack.pdus["apc"].outlet_state(3)
    rack.snmp("snmpset", "-v2c", "-c", "private", ip, oid, "i", "1")
    assert rack.snmp("snmpwalk", "-v2c", "-c", "private", ip, oid).endswith("INTEGER: 1")
    rack.snmp("snmpset", "-v2c", "-c", "private", ip, ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.5", "i", "2")
    assert rack.snmp("snmpget", "-v2c", "-c", "public", ip, ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4.5").endswith(
        "INTEGER: 2"
    )


def test_hawk_password_then_pdu_out_on(rack: Rack) -> None:
    """panduit-obm-service: pduOutPwd.<pduId>.<outlet> s A<nn>, then pduOutOn i 2; without it, refused."""
    ip = rack.ip("hawk")
    on, pwd = ".1.3.6.1.4.1.3711.24.1.1.7.2.3.1.5.4.2", ".1.3.6.1.4.1.3711.24.1.1.7.2.3.1.6.4.2"  # PDU 2 (pduId 4)
    refused = rack.loop.tool("snmpset", "-v2c", "-c", "private", ip, on, "i", "2")
    assert refused.returncode != 0 and "inconsistentValue" in refused.stderr
    wrong = rack.loop.tool("snmpset", "-v2c", "-c", "private", ip, pwd, "s", "B99")
    assert wrong.returncode != 0 and "wrongValue" in wrong.stderr
    rack.snmp("snmpset", "-v2c", "-c", "private", ip, pwd, "s", "A02")
    rack.snmp("snmpset", "-v2c", "-c", "private", ip, on, "i", "2")
    assert rack.snmp("snmpwalk", "-v2c", "-c", "private", ip, on).endswith("INTEGER: 2")
    assert not rack.pdus["hawk"].outlet_state(26)
    pwd_records = [r for r in rack.records if r.oids == (pwd.lstrip("."),)]
    assert pwd_records and all(r.values == ("<redacted>",) for r in pwd_records)


def test_hawk_power_poller_walks(rack: Rack) -> None:
    """The HAWK power poller's bulkwalks (pduName, pduRMSAmpsValue, pduOutOn ...) return rows per PDU."""
    ip = rack.ip("hawk")
    rack.pdus["hawk"].set_outlet_load(1, 2185.0)
    names = rack.snmp("snmpbulkwalk", "-v2c", "-c", "public", ip, ".1.3.6.1.4.1.3711.24.1.1.7.1.2.1.3")
    assert names.splitlines() == [
        'iso.3.6.1.4.1.3711.24.1.1.7.1.2.1.3.1 = STRING: "PDU_1"',
        'iso.3.6.1.4.1.3711.24.1.1.7.1.2.1.3.4 = STRING: "PDU_2"',
    ]
    amps = rack.snmp("snmpbulkwalk", "-v2c", "-c", "public", ip, ".1.3.6.1.4.1.3711.24.1.1.7.3.1.1.4")
    assert amps.splitlines()[0].endswith("INTEGER: 100") and ".99 = INTEGER: 100" in amps
    out_on = rack.snmp("snmpbulkwalk", "-v2c", "-c", "public", ip, ".1.3.6.1.4.1.3711.24.1.1.7.2.3.1.5")
    assert len(out_on.splitlines()) == 30


@pytest.mark.parametrize("name", ["sentry", "apc", "hawk"])
def test_discovery_bulkwalk_is_sorted_complete_and_ends(rack: Rack, name: str) -> None:
    """`snmpbulkwalk -v2c -Cr10 -c public <ip> 1` (Graph.PDU.Discovery) returns the whole MIB, sorted."""
    started = time.perf_counter()
    r = rack.loop.tool("snmpbulkwalk", "-v2c", "-Cr10", "-c", "public", rack.ip(name), "1")
    elapsed = time.perf_counter() - started
    assert r.returncode == 0, r.stderr
    *rows, last = r.lines()
    assert "No more variables left in this MIB View" in last
    oids = [tuple(int(x) for x in ("1" + line.split(" = ")[0][3:]).split(".")) for line in rows]
    assert oids == rack.pdus[name].source.oids()  # type: ignore[attr-defined]
    print(f"{name}: {len(oids)} objects walked in {elapsed * 1000:.0f} ms")


def test_system_group_and_sys_descr(rack: Rack) -> None:
    """`snmpwalk ... 1.3.6.1.2.1.1` returns the 7 system objects; `snmpget sysDescr.0` names the vendor."""
    lines = rack.snmp("snmpwalk", "-v2c", "-c", "public", rack.ip("hawk"), "1.3.6.1.2.1.1").splitlines()
    assert [line.split(" = ")[0] for line in lines] == [f"iso.3.6.1.2.1.1.{i}.0" for i in range(1, 8)]
    descr = rack.snmp("snmpget", "-v2c", "-c", "public", rack.ip("hawk"), ".1.3.6.1.2.1.1.1.0")
    assert "Sinetica" in descr
    oid = rack.snmp("snmpget", "-v2c", "-c", "public", rack.ip("hawk"), ".1.3.6.1.2.1.1.2.0")
    assert oid.endswith("OID: iso.3.6.1.4.1.3711.24")


def test_concurrent_clients_get_rate(rack: Rack) -> None:
    """Eight concurrent clients, 25 GETs each (one snmpget per GET, process start included), all answered."""
    ip = rack.ip("sentry")
    oids = [f".1.3.6.1.4.1.1718.3.2.3.1.10.1.1.{n}" for n in range(1, 17)]
    commands = [["snmpget", "-v2c", "-c", "public", ip, *oids] for _ in range(200)]
    started = time.perf_counter()
    results = []
    for batch in range(0, len(commands), 8):
        results += rack.loop.tools(commands[batch : batch + 8])
    elapsed = time.perf_counter() - started
    assert all(r.returncode == 0 and len(r.lines()) == 16 for r in results)
    print(f"200 snmpget x 16 OIDs with 8 concurrent clients: {elapsed:.2f} s, {200 * 16 / elapsed:.0f} OIDs/s")
