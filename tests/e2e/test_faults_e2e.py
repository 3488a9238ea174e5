"""Faults and scenarios as a manager sees them, through real clients (ipmitool, FreeIPMI, net-snmp)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clients import ipmitool, run, snmp
from tests.support.rack_process import RackProcess, running_rack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

SPEC = """\
rack: lead-faults
seed: lead-faults-seed
networks: {management: 127.60.1.0/24}
devices:
  - {name: node01, kind: compute, model: quanta-d51, power_on: true, bmc: {boot_time: 0.5, mc_reset_time: 1}}
  - {name: node02, kind: compute, model: dell-r630, power_supplies: 2, power_on: true, bmc: {boot_time: 0.5}}
  - {name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8, snmp: {traps: [{address: 127.60.1.250, port: 9162}]}}
  - {name: sw1, kind: switch, model: arista-7050, ports: 8}
power:
  - {outlet: pdu1/1, to: node01/psu1}
  - {outlet: pdu1/2, to: node02/psu1}
  - {outlet: pdu1/3, to: node02/psu2}
cables:
  - {a: node01/nic0, b: sw1/1}
"""
NODE01, NODE02, PDU1, SW1 = "127.60.1.1", "127.60.1.2", "127.60.1.3", "127.60.1.4"
SENTRY_ACTION = ".1.3.6.1.4.1.1718.3.2.3.1.11.1.1"
SENTRY_STATE = ".1.3.6.1.4.1.1718.3.2.3.1.10.1.1"
IF_OPER = ".1.3.6.1.2.1.2.2.1.8"
RAMP = """\
scenario: hot-cpu
steps:
  - {at: 0, fault: {kind: sensor-ramp, target: node01, params: {sensor: Temp_CPU0, to: upper_critical, over: 2,
                    every: 0.5}}, name: hot}
  - {at: 3, note: reached}
"""


@pytest.fixture(scope="module")
def rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RackProcess]:
    with running_rack(tmp_path_factory.mktemp("faults-rack"), SPEC, "lead-faults") as started:
        wait_for(lambda: ipmitool(NODE01, "chassis power status").returncode == 0, 10, "node01's BMC")
        yield started


def _inject(rack: RackProcess, kind: str, target: str, **params: object) -> int:
    fault: dict[str, object] = rack.api("POST", "/api/v1/faults", {"kind": kind, "target": target, "params": params})
    return int(str(fault["id"]))


def _clear(rack: RackProcess, fault_id: int) -> None:
    rack.api("DELETE", f"/api/v1/faults/{fault_id}")


def test_a_busy_bmc_answers_node_busy_to_ipmitool(rack: RackProcess) -> None:
    fault = _inject(rack, "bmc-busy", "node01")
    try:
        result = ipmitool(NODE01, "chassis power status")
        assert result.returncode != 0 and "Node busy" in result.stderr + result.stdout
    finally:
        _clear(rack, fault)
    ipmitool(NODE01, "chassis power status").ok()


def test_a_hung_bmc_is_silent_to_freeipmi_and_answers_again_when_cleared(rack: RackProcess) -> None:
    fault = _inject(rack, "bmc-hang", "node02")
    try:
        argv = ["ipmipower", "-h", NODE02, "-u", "admin", "-p", "admin", "--stat", "--session-timeout=1500"]
        assert "connection timeout" in run(argv).stdout
    finally:
        _clear(rack, fault)
    assert run(argv).ok().stdout.strip().endswith(": on")


def test_a_bmc_reset_fault_drops_then_restores_service(rack: RackProcess) -> None:
    rack.api("POST", "/api/v1/faults", {"kind": "bmc-reset", "target": "node01", "params": {"kind": "cold"}})
    wait_for(lambda: ipmitool(NODE01, "mc info", extra="-N 1 -R 1").returncode == 0, 10, "the BMC back after reset")


def test_a_sensor_ramp_scenario_shows_in_sdr_and_sel(rack: RackProcess) -> None:
    run_info = rack.api("POST", "/api/v1/scenarios", {"text": RAMP, "source": "ramp.yaml"})
    wait_for(lambda: rack.api("GET", f"/api/v1/scenarios/{run_info['id']}")["state"] == "finished", 15, "the scenario")
    sdr = ipmitool(NODE01, "sdr type temperature").ok().stdout
    assert any(line.startswith("Temp_CPU0") and "| ucr " in line for line in sdr.splitlines()), sdr
    sel = ipmitool(NODE01, "sel list").ok().stdout
    assert "Upper Non-critical going high" in sel and "Upper Critical going high" in sel, sel
    for fault in rack.api("GET", "/api/v1/faults")["active"]:
        _clear(rack, int(fault["id"]))
    assert "Deasserted" in ipmitool(NODE01, "sel list").ok().stdout


def test_a_failed_fan_reads_zero_in_freeipmi(rack: RackProcess) -> None:
    fault = _inject(rack, "fan-fail", "node01", sensor="Fan_SYS0")
    try:
        out = run(["ipmi-sensors", "-h", NODE01, "-u", "admin", "-p", "admin", "--sensor-types=Fan"]).ok().stdout
        line = next(line for line in out.splitlines() if "Fan_SYS0" in line)
        assert "0.00" in line and "Lower Non-Recoverable" in line, line
    finally:
        _clear(rack, fault)


def test_a_failed_supply_is_logged_and_the_node_keeps_running_on_the_other(rack: RackProcess) -> None:
    fault = _inject(rack, "psu-fail", "node02", psu=1)
    try:
        assert "Power Supply" in ipmitool(NODE02, "sel list").ok().stdout
        assert "Chassis Power is on" in ipmitool(NODE02, "chassis power status").ok().stdout
    finally:
        _clear(rack, fault)


def test_a_stuck_outlet_takes_the_snmp_command_but_power_stays(rack: RackProcess) -> None:
    fault = _inject(rack, "outlet-stuck", "pdu1", outlets=[1])
    try:
        snmp("snmpset", PDU1, f"{SENTRY_ACTION}.1", "i", "2", community="private")
        assert snmp("snmpget", "-Oqv", PDU1, f"{SENTRY_STATE}.1").strip() in ("5", "on")
        ipmitool(NODE01, "chassis power status").ok()
    finally:
        _clear(rack, fault)


def test_a_port_held_down_reads_down_over_snmp(rack: RackProcess) -> None:
    fault = _inject(rack, "port-down", "sw1", ports=[1])
    try:
        assert snmp("snmpget", "-Oqv", SW1, f"{IF_OPER}.1").strip() in ("2", "down")
    finally:
        _clear(rack, fault)
    wait_for(lambda: snmp("snmpget", "-Oqv", SW1, f"{IF_OPER}.1").strip() in ("1", "up"), 5, "port 1 up again")


def test_a_lossy_link_loses_snmp_requests_and_a_slow_one_answers_them_late(rack: RackProcess) -> None:
    sys_name = ".1.3.6.1.2.1.1.5.0"
    fault = _inject(rack, "net-loss", "pdu1", rate=1.0)
    try:
        lost = run(["snmpget", "-v2c", "-c", "public", "-t", "0.5", "-r", "1", PDU1, sys_name])
        assert lost.returncode != 0 and "Timeout" in lost.stdout + lost.stderr, lost
        assert rack.api("GET", "/api/v1/devices/pdu1")["link"]["dropped"] == 2  # the request and its retry
    finally:
        _clear(rack, fault)
    fault = _inject(rack, "net-latency", "pdu1", latency=0.6)
    try:
        started = time.monotonic()
        snmp("snmpget", PDU1, sys_name)
        assert time.monotonic() - started >= 0.6
    finally:
        _clear(rack, fault)
    snmp("snmpget", PDU1, sys_name)


def test_a_slow_bmc_link_still_serves_ipmitool_and_a_full_session_table_refuses_it(rack: RackProcess) -> None:
    fault = _inject(rack, "net-latency", "node02", latency=0.2, jitter=0.1)
    try:
        ipmitool(NODE02, "chassis power status").ok()
        assert rack.api("GET", "/api/v1/devices/node02")["link"]["delayed"] >= 5  # the whole lanplus login
    finally:
        _clear(rack, fault)
    fault = _inject(rack, "bmc-sessions-full", "node02")
    try:
        refused = ipmitool(NODE02, "chassis power status", extra="-N 1 -R 1")
        assert refused.returncode != 0 and "insufficient resources" in (refused.stdout + refused.stderr).lower()
    finally:
        _clear(rack, fault)
    ipmitool(NODE02, "chassis power status").ok()


def test_a_failing_disk_is_a_predictive_failure_in_the_sel(rack: RackProcess) -> None:
    fault = _inject(rack, "disk-fail", "node01", disk=0)
    try:
        sel = ipmitool(NODE01, "sel elist").ok().stdout
        line = next(line for line in sel.splitlines() if "Drive Slot" in line)
        assert "Predictive Failure" in line and "Asserted" in line, line
    finally:
        _clear(rack, fault)
    assert "Deasserted" in next(
        line for line in ipmitool(NODE01, "sel elist").ok().stdout.splitlines()[::-1] if "Drive Slot" in line
    )


INFEED_LOAD_STATUS = ".1.3.6.1.4.1.1718.3.2.2.1.6.1.1"


def test_an_overloaded_pdu_reads_overload_and_sends_its_trap_to_snmptrapd(rack: RackProcess, tmp_path: Path) -> None:
    conf, log = tmp_path / "snmptrapd.conf", tmp_path / "traps.log"
    conf.write_text("authCommunity log public\n")
    argv = ["snmptrapd", "-f", "-n", "-C", "-c", str(conf), "-Lf", str(log), "-On", "udp:127.60.1.250:9162"]
    trapd = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: log.exists() and "NET-SNMP version" in log.read_text(), 10, "snmptrapd to start")
        fault = _inject(rack, "pdu-overload", "pdu1")
        try:
            assert snmp("snmpget", "-Oqv", PDU1, INFEED_LOAD_STATUS).strip() in ("5", "overLoad")
            wait_for(lambda: ".1.3.6.1.4.1.1718.3.100.0.3" in log.read_text(), 10, "the infeedLoadEvent trap")
        finally:
            _clear(rack, fault)
        wait_for(lambda: log.read_text().count(".1.3.6.1.4.1.1718.3.100.0.3") == 2, 10, "the trap back to normal")
    finally:
        trapd.terminate()
        trapd.wait(10)
    traps = log.read_text()
    assert f"{INFEED_LOAD_STATUS} = INTEGER: 5" in traps and f"{INFEED_LOAD_STATUS} = INTEGER: 0" in traps, traps
    assert 'STRING: "Over Load"' in traps


def test_every_fault_is_in_the_journal_with_its_cause(rack: RackProcess, tmp_path: Path) -> None:
    faults = [e for e in rack.events() if e["protocol"] == "fault"]
    assert {e["kind"] for e in faults} >= {"bmc-busy", "bmc-hang", "sensor-ramp", "outlet-stuck", "port-down"}
    assert all(e["cause"] in ("control API", "scenario hot-cpu step 0") for e in faults if e["operation"] == "injected")
