"""Faults as data, applied through device roles, journalled, undone on clear; deterministic from the seed."""

from __future__ import annotations

import itertools

import pytest

from bmc_sim.config import Privilege
from bmc_sim.message import IpmiRequest, RequestContext
from tests.vrack.inmemory import MemoryRack
from vrack.errors import DeviceStateConflict, InvalidArgument, NotFound, UnknownDevice
from vrack.faults import Fault

IN_BAND = RequestContext(peer=("test", 0), privilege=Privilege.ADMINISTRATOR, in_band=True)


def _started() -> MemoryRack:
    m = MemoryRack()
    m.advance(3)
    return m


def test_bmc_hang_silences_the_bmc_until_cleared() -> None:
    m = _started()
    record = m.rack.faults.inject(Fault("bmc-hang", "node01"), "test")
    bmc = m.rack.devices["node01"].bmc  # type: ignore[attr-defined]
    assert not bmc.responsive
    with pytest.raises(DeviceStateConflict, match="not answering"):
        m.rack.power_node("node01", "on", "test")
    m.rack.faults.clear(record.id, "test")
    assert bmc.responsive
    assert m.events(device="node01", protocol="fault", operation="injected", kind="bmc-hang", cause="test")
    assert m.events(device="node01", protocol="fault", operation="cleared", fault=record.id)


def test_bmc_busy_answers_c0_to_every_command() -> None:
    m = _started()
    m.rack.faults.inject(Fault("bmc-busy", "node02"), "test")
    bmc = m.rack.devices["node02"].bmc  # type: ignore[attr-defined]
    assert bmc.handle(IpmiRequest(0x00, 0x01, b""), IN_BAND).completion_code == 0xC0
    m.rack.faults.clear_all("test")
    assert bmc.handle(IpmiRequest(0x00, 0x01, b""), IN_BAND).completion_code == 0


def test_bmc_reset_is_one_shot_and_the_bmc_comes_back_after_its_reset_time() -> None:
    m = _started()
    m.rack.faults.inject(Fault("bmc-reset", "node01", {"kind": "warm"}), "test")
    bmc = m.rack.devices["node01"].bmc  # type: ignore[attr-defined]
    assert not bmc.responsive and m.rack.faults.active() == []
    m.advance(5.2)
    assert bmc.responsive


def test_a_stuck_outlet_accepts_commands_but_power_stays() -> None:
    m = _started()
    m.rack.faults.inject(Fault("outlet-stuck", "pdu1", {"outlets": [1]}), "test")
    m.rack.switch_outlet("pdu1", 1, "off", "test")
    assert m.rack.pdus["pdu1"].outlet_on(1) and m.rack.power.node_has_ac("node01")
    m.rack.switch_outlet("pdu1", 2, "off", "test")  # other outlets still work
    assert not m.rack.pdus["pdu1"].outlet_on(2)
    m.rack.faults.clear_all("test")
    m.rack.switch_outlet("pdu1", 1, "off", "test")
    assert not m.rack.pdus["pdu1"].outlet_on(1)


def test_a_late_outlet_switches_after_its_delay() -> None:
    m = _started()
    m.rack.faults.inject(Fault("outlet-late", "pdu1", {"outlets": [1], "delay": 2.0}), "test")
    m.rack.switch_outlet("pdu1", 1, "off", "test")
    assert m.rack.pdus["pdu1"].outlet_on(1)
    m.advance(1.9)
    assert m.rack.pdus["pdu1"].outlet_on(1)
    m.advance(0.2)
    assert not m.rack.pdus["pdu1"].outlet_on(1)
    assert "2 s late" in m.events(device="pdu1", operation="outlet", on=False)[-1]["cause"]


def test_port_down_holds_the_link_down_whatever_the_cabling_says() -> None:
    m = _started()
    m.rack.power_node("node01", "on", "test")
    record = m.rack.faults.inject(Fault("port-down", "sw1", {"ports": [1]}), "test")
    assert not m.rack.switch("sw1").port_oper_up(1)
    m.rack.set_cable("sw1", 1, True, "test")
    assert not m.rack.switch("sw1").port_oper_up(1)
    m.rack.faults.clear(record.id, "test")
    assert m.rack.switch("sw1").port_oper_up(1)


def _flap_times(seed: str) -> list[float]:
    m = _started()
    m.rack.power_node("node01", "on", "test")
    m.rack.faults.inject(Fault("port-flap", "sw1", {"ports": [1], "period": 1.0, "jitter": 0.5}, seed=seed), "t")
    m.advance(10, step=0.05)
    return [e["elapsed"] for e in m.events(device="sw1", protocol="link")]


def test_port_flap_follows_the_seed_the_same_way_every_run() -> None:
    first, second, other = _flap_times("a"), _flap_times("a"), _flap_times("b")
    assert first == second and len(first) >= 6
    assert first != other
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(first)]
    assert all(0.45 <= gap <= 1.55 for gap in gaps)


def test_a_pattern_targets_every_matching_device_of_the_role() -> None:
    m = _started()
    record = m.rack.faults.inject(Fault("bmc-busy", "node0*"), "test")
    assert record.devices == ("node01", "node02", "node03")


@pytest.mark.parametrize(
    ("fault", "error", "parameter"),
    [
        (Fault("bmc-melt", "node01"), InvalidArgument, "kind"),
        (Fault("bmc-hang", "sw1"), InvalidArgument, "target"),
        (Fault("bmc-hang", "nodeX"), UnknownDevice, "target"),
        (Fault("outlet-late", "pdu1", {"delay": -1}), InvalidArgument, "params.delay"),
        (Fault("outlet-stuck", "pdu1", {"outlets": [99]}), InvalidArgument, "params.outlets"),
        (Fault("port-down", "sw1", {"ports": [1], "colour": "red"}), InvalidArgument, "params.colour"),
    ],
)
def test_bad_faults_are_refused_naming_the_parameter(fault: Fault, error: type[Exception], parameter: str) -> None:
    m = _started()
    with pytest.raises(error) as raised:
        m.rack.faults.inject(fault, "test")
    assert raised.value.parameter == parameter  # type: ignore[attr-defined]
    assert m.rack.faults.active() == []


def test_clearing_an_unknown_fault() -> None:
    m = _started()
    with pytest.raises(NotFound):
        m.rack.faults.clear(42, "test")


def _sensor(m: MemoryRack, node: str, name: str) -> dict[str, object]:
    return next(s for s in m.rack.devices[node].describe()["sensors"] if s["name"] == name)


def test_a_sensor_ramp_crosses_thresholds_logs_them_and_ends_on_the_target() -> None:
    m = _started()
    m.rack.power_node("node01", "on", "test")
    m.rack.faults.inject(
        Fault("sensor-ramp", "node01", {"sensor": "Temp_CPU0", "to": "upper_critical", "over": 20, "every": 2}), "t"
    )
    m.advance(9)
    assert _sensor(m, "node01", "Temp_CPU0")["status"] == "ok"
    m.advance(12)
    final = _sensor(m, "node01", "Temp_CPU0")
    assert final["status"] == "critical" and final["value"] == pytest.approx(90, abs=1)
    crossings = m.events(device="node01", operation="sel-event", sensor="Temp_CPU0")
    assert len(crossings) == 2  # upper non-critical, then upper critical, on different steps
    m.rack.faults.clear_all("t")
    assert _sensor(m, "node01", "Temp_CPU0")["status"] == "ok"


def test_a_failed_fan_reads_zero_and_is_critical() -> None:
    m = _started()
    m.rack.power_node("node02", "on", "test")
    m.rack.faults.inject(Fault("fan-fail", "node02"), "t")
    fan = _sensor(m, "node02", "Fan_SYS0")
    assert fan["value"] == 0 and fan["status"] == "non-recoverable"


def test_a_failed_supply_feeds_nothing_and_the_last_one_takes_ac_away() -> None:
    m = _started()
    m.rack.power_node("node03", "on", "test")
    first = m.rack.faults.inject(Fault("psu-fail", "node03", {"psu": 1}), "t")
    assert m.rack.nodes["node03"].host_powered
    assert m.rack.pdus["pdu1"].describe()["outlets"][2]["watts"] == 0  # outlet 3 feeds the failed psu1
    m.rack.faults.inject(Fault("psu-fail", "node03", {"psu": 2}), "t")
    assert not m.rack.power.node_has_ac("node03") and not m.rack.nodes["node03"].host_powered
    assert m.events(device="node03", operation="supply-failed", psu=2)
    m.rack.faults.clear(first.id, "t")
    assert m.rack.power.node_has_ac("node03")
    with pytest.raises(InvalidArgument, match=r"psu1\.\.psu1"):
        m.rack.faults.inject(Fault("psu-fail", "node01", {"psu": 2}), "t")
