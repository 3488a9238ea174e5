"""Slow and lossy management links, and a BMC with no free session slot: faults as data, seeded, undone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.vrack.inmemory import MemoryRack
from vrack.errors import InvalidArgument, UnknownDevice
from vrack.faults import Fault
from vrack.link import LinkGate


def _started() -> MemoryRack:
    m = MemoryRack()
    m.advance(3)
    return m


def _bmc_gate(m: MemoryRack, node: str) -> LinkGate | None:
    gate: LinkGate | None = m.rack.devices[node].service.protocol.gate  # type: ignore[attr-defined]
    return gate


def _through(gate: LinkGate, count: int) -> list[int]:
    """Send ``count`` numbered datagrams through the gate; the numbers it handed on at once."""
    handled: list[int] = []
    for n in range(count):
        gate(n.to_bytes(2, "big"), ("127.0.0.1", 9), lambda data, peer: handled.append(int.from_bytes(data, "big")))
    return handled


def test_net_loss_drops_the_same_requests_for_the_same_seed_and_other_ones_for_another() -> None:
    runs: list[list[int]] = []
    for seed in ("a", "a", "b"):
        m = _started()
        m.rack.faults.inject(Fault("net-loss", "node01", {"rate": 0.5}, seed=seed), "test")
        gate = _bmc_gate(m, "node01")
        assert gate is not None
        runs.append(_through(gate, 400))
        assert m.rack.devices["node01"].describe()["link"]["dropped"] == 400 - len(runs[-1])
    assert runs[0] == runs[1] != runs[2]
    assert 150 < len(runs[0]) < 250


def test_net_latency_holds_each_request_latency_plus_or_minus_jitter() -> None:
    m = _started()
    m.rack.faults.inject(Fault("net-latency", "node02", {"latency": 0.5, "jitter": 0.1}), "test")
    gate = _bmc_gate(m, "node02")
    assert gate is not None
    handled: list[Any] = []
    for n in range(20):
        gate(bytes([n]), ("127.0.0.1", 9), lambda data, peer: handled.append(data))
    m.advance(0.39, step=0.01)
    assert handled == []
    m.advance(0.22, step=0.01)
    assert len(handled) == 20


def test_link_faults_reach_snmp_agents_and_clearing_removes_the_gate() -> None:
    m = _started()
    record = m.rack.faults.inject(Fault("net-loss", "*", {"rate": 1.0}), "test")
    assert set(record.devices) == {"node01", "node02", "node03", "pdu1", "sw1"}
    assert m.rack.devices["pdu1"].agent.gate is not None  # type: ignore[attr-defined]
    assert m.rack.devices["sw1"].agent.gate is not None  # type: ignore[attr-defined]
    m.rack.faults.clear(record.id, "test")
    assert m.rack.devices["pdu1"].agent.gate is None  # type: ignore[attr-defined]
    assert _bmc_gate(m, "node01") is None
    assert m.events(device="sw1", protocol="fault", operation="cleared", fault=record.id)


def test_latency_and_loss_on_one_device_combine_and_clear_one_at_a_time() -> None:
    m = _started()
    loss = m.rack.faults.inject(Fault("net-loss", "node01", {"rate": 1.0}), "test")
    latency = m.rack.faults.inject(Fault("net-latency", "node01", {"latency": 1.0}), "test")
    m.rack.faults.clear(loss.id, "test")
    gate = _bmc_gate(m, "node01")
    assert gate is not None and gate.conditions.loss == 0 and gate.conditions.latency == 1.0
    m.rack.faults.clear(latency.id, "test")
    assert _bmc_gate(m, "node01") is None


def test_a_link_fault_names_the_devices_it_could_target() -> None:
    m = _started()
    with pytest.raises(UnknownDevice) as caught:
        m.rack.faults.inject(Fault("net-latency", "nope", {"latency": 1}), "test")
    assert caught.value.valid == ["node01", "node02", "node03", "pdu1", "sw1"]
    assert str(caught.value).startswith("no device matches")


def test_sessions_full_refuses_new_sessions_until_cleared() -> None:
    m = _started()
    sessions = m.rack.devices["node01"].endpoint.sessions  # type: ignore[attr-defined]
    record = m.rack.faults.inject(Fault("bmc-sessions-full", "node01"), "test")
    assert sessions.is_full()
    m.rack.faults.clear(record.id, "test")
    assert not sessions.is_full()


def test_disk_fail_marks_the_drive_logs_a_predictive_failure_and_recovers_on_clear() -> None:
    m = _started()
    node = m.rack.devices["node01"]
    record = m.rack.faults.inject(Fault("disk-fail", "node01", {"disk": 1}), "test")
    assert node.failing_disks == {1}  # type: ignore[attr-defined]
    drive = [e for e in node.sel_entries() if e.get("sensor_type") == 0x0D]  # type: ignore[attr-defined]
    assert len(drive) == 1 and drive[0]["offset"] == 2 and drive[0]["asserted"] is True
    m.rack.faults.clear(record.id, "test")
    assert node.failing_disks == set()  # type: ignore[attr-defined]
    assert m.events(device="node01", protocol="host", operation="disk-health", disk=1, failing=False)


def test_disk_fail_on_a_drive_the_node_lacks_names_the_valid_ones() -> None:
    m = _started()
    with pytest.raises(InvalidArgument) as caught:
        m.rack.faults.inject(Fault("disk-fail", "node01", {"disk": 9}), "test")
    assert caught.value.parameter == "disk" and caught.value.valid == ["0..2"]


def test_pdu_overload_raises_the_infeed_alarm_through_high_to_overload_and_back() -> None:
    m = _started()
    pdu = m.rack.devices["pdu1"]
    high = m.rack.faults.inject(Fault("pdu-overload", "pdu1", {"amps": 13.5}), "test")
    assert pdu.describe()["infeed"]["load"] == "high"
    m.rack.faults.clear(high.id, "test")
    record = m.rack.faults.inject(Fault("pdu-overload", "pdu1"), "test")
    infeed = pdu.describe()["infeed"]
    assert infeed["load"] == "overload" and infeed["amps"] > infeed["capacity_amps"]
    m.rack.faults.clear(record.id, "test")
    assert pdu.describe()["infeed"]["load"] == "normal"
    states = [e["state"] for e in m.events(device="pdu1", protocol="power", operation="infeed-load")]
    assert states == ["high", "normal", "overload", "normal"]
