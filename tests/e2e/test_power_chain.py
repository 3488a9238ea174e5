"""One power and cabling model: PDU outlets, BMCs and switch ports, driven by real clients.

snmpset an outlet off (RackHD's ServerTech command line), then ipmitool to the
node's BMC times out, the switch port reads down over SNMP and the journal
shows the chain; outlet on, the BMC answers again and its SEL holds the
AC-lost entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clients import ipmitool, run, snmp
from tests.support.rack_process import RackProcess, running_rack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

SPEC = """\
rack: e2e-power
seed: e2e-power-seed
networks: {management: 127.17.0.0/24}
devices:
  - name: node01
    kind: compute
    model: quanta-d51
    power_on: true
    power_restore_policy: always-on
    bmc: {boot_time: 0.5}
  - name: node02
    kind: compute
    model: dell-r630
    power_supplies: 2
    power_on: true
    bmc: {boot_time: 0.5}
  - {name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8, reboot_delay: 1}
  - {name: pdu2, kind: pdu, model: apc-powernet, outlets: 8}
  - {name: pdu3, kind: pdu, model: sinetica-hawk-i2, outlets: 8}
  - {name: sw1, kind: switch, model: arista-7050, ports: 8}
power:
  - {outlet: pdu1/1, to: node01/psu1}
  - {outlet: pdu1/2, to: node02/psu1}
  - {outlet: pdu2/2, to: node02/psu2}
cables:
  - {a: node01/nic0, b: sw1/1}
  - {a: node02/nic0, b: sw1/2}
"""

NODE01, NODE02 = "127.17.0.1", "127.17.0.2"
PDU1, PDU2, PDU3, SW1 = "127.17.0.3", "127.17.0.4", "127.17.0.5", "127.17.0.6"
SENTRY_ACTION = ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1"
SENTRY_STATE = ".1.3.6.1.4.1.1718.3.2.3.1.10.1.1"
APC_CTL = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3"
IF_NAME = ".1.3.6.1.2.1.31.1.1.1.1"
IF_OPER = ".1.3.6.1.2.1.2.2.1.8"


@pytest.fixture(scope="module")
def power_rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RackProcess]:
    with running_rack(tmp_path_factory.mktemp("power-rack"), SPEC, "e2e-power") as rack:
        yield rack


def if_index(port_name: str) -> str:
    for line in snmp("snmpwalk", "-On", SW1, IF_NAME).splitlines():
        oid, _, value = line.partition(" = ")
        if value.split(": ", 1)[-1].strip().strip('"') == port_name:
            return oid.rsplit(".", 1)[1]
    raise AssertionError(f"no ifName {port_name}")


def oper_status(index: str) -> str:
    """ifOperStatus as a label (net-snmp prints the number when no IF-MIB file is installed)."""
    value = snmp("snmpget", "-Oqv", SW1, f"{IF_OPER}.{index}").strip()
    return {"1": "up", "2": "down"}.get(value, value)


def bmc_answers(host: str) -> bool:
    return ipmitool(host, "mc info", extra="-R 1 -N 1").returncode == 0


def test_outlet_off_darkens_bmc_and_drops_switch_port_then_returns(power_rack: RackProcess) -> None:
    port_name = power_rack.api("GET", "/api/v1/devices/sw1")["ports"][0]["name"]
    index = if_index(port_name)
    wait_for(lambda: bmc_answers(NODE01), 20, "node01's BMC to answer")
    assert oper_status(index) == "up"
    start = power_rack.last_seq()

    snmp("snmpset", PDU1, f"{SENTRY_ACTION}.1", "i", "2", community="private")
    assert snmp("snmpget", "-Oqv", PDU1, f"{SENTRY_STATE}.1").strip() in ("4", "off")
    assert not bmc_answers(NODE01)
    assert oper_status(index) == "down"
    chain = [(e["device"], e["operation"]) for e in power_rack.events(after=start)]
    for step in [("pdu1", "set"), ("pdu1", "outlet"), ("node01", "ac-power"), ("sw1", "port-down")]:
        assert step in chain, (step, chain)
    assert chain.index(("pdu1", "outlet")) < chain.index(("node01", "ac-power")) < chain.index(("sw1", "port-down"))

    snmp("snmpset", PDU1, f"{SENTRY_ACTION}.1", "i", "1", community="private")
    wait_for(lambda: bmc_answers(NODE01), 20, "node01's BMC to come back")
    sel = ipmitool(NODE01, "sel elist").ok().stdout
    assert "AC lost" in sel or "Power Unit" in sel, sel
    assert "Chassis Power is on" in ipmitool(NODE01, "chassis power status").ok().stdout  # always-on policy
    wait_for(lambda: oper_status(index) == "up", 10, "the switch port to come back up")


def test_redundant_supplies_keep_the_bmc_up(power_rack: RackProcess) -> None:
    """node02 has two supplies on two PDUs: one outlet off is not enough to darken it."""
    run(["snmpset", "-v2c", "-c", "private", PDU2, f"{APC_CTL}.2", "i", "2"]).ok()
    assert bmc_answers(NODE02)
    run(["snmpset", "-v2c", "-c", "private", PDU1, f"{SENTRY_ACTION}.2", "i", "2"]).ok()
    assert not bmc_answers(NODE02)
    run(["snmpset", "-v2c", "-c", "private", PDU2, f"{APC_CTL}.2", "i", "1"]).ok()
    wait_for(lambda: bmc_answers(NODE02), 20, "node02's BMC back on one supply")
    run(["snmpset", "-v2c", "-c", "private", PDU1, f"{SENTRY_ACTION}.2", "i", "1"]).ok()


def test_read_only_community_cannot_switch_outlets(power_rack: RackProcess) -> None:
    result = run(["snmpset", "-v2c", "-c", "public", "-t", "2", "-r", "0", PDU1, f"{SENTRY_ACTION}.3", "i", "2"])
    assert result.returncode != 0
    assert snmp("snmpget", "-Oqv", PDU1, f"{SENTRY_STATE}.3").strip() in ("5", "on")


def test_cli_outlet_and_cable_commands(power_rack: RackProcess, tmp_path: Path) -> None:
    """The control API switches outlets and pulls cables, with the same effects as SNMP."""
    index = if_index(power_rack.api("GET", "/api/v1/devices/sw1")["ports"][1]["name"])
    wait_for(lambda: oper_status(index) == "up", 20, "node02's port up")
    power_rack.api("POST", "/api/v1/switches/sw1/ports/2", {"plugged": False})
    assert oper_status(index) == "down"
    power_rack.api("POST", "/api/v1/switches/sw1/ports/2", {"plugged": True})
    assert oper_status(index) == "up"
    pdu = power_rack.api("POST", "/api/v1/pdus/pdu1/outlets/4", {"action": "off"})
    assert pdu["outlets"][3]["on"] is False
    assert snmp("snmpget", "-Oqv", PDU1, f"{SENTRY_STATE}.4").strip() in ("4", "off")


def test_rackhd_discovery_walk_of_switch_and_pdu(power_rack: RackProcess) -> None:
    """Graph.Switch/PDU.Discovery: snmpbulkwalk from OID 1 terminates and is ordered; identities match."""
    for host, word in ((SW1, "Arista"), (PDU3, "Sinetica")):
        out = run(["snmpbulkwalk", "-v2c", "-Cr10", "-c", "public", "-On", "-t", "5", host, "1"]).ok().stdout
        oids = [
            tuple(int(p) for p in line.split(" = ")[0].strip(".").split("."))
            for line in out.splitlines()
            if " = " in line and "No more variables left" not in line  # net-snmp's endOfMibView marker
        ]
        assert "No more variables left" in out.splitlines()[-1]  # the walk reached endOfMibView
        duplicates = sorted({oid for oid in oids if oids.count(oid) > 1})
        assert not duplicates, [".".join(map(str, d)) for d in duplicates]
        assert len(oids) > 50 and oids == sorted(oids)
        assert word in out
