"""Scenarios: validated like specs, run on the rack's clock, the same journal every run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.vrack.inmemory import MemoryRack
from vrack.located import SpecError
from vrack.scenario import parse_scenario

HOT = """\
scenario: hot-node
seed: hot-1
steps:
  - {at: 0, power: {node: node02, action: "on"}}
  - {at: 5, fault: {kind: port-flap, target: sw1, params: {ports: [2], period: 3, jitter: 0.5}}, name: flap}
  - {at: 10, fault: {kind: sensor-ramp, target: node02, params: {sensor: Temp_CPU0, to: upper_critical, over: 20}}}
  - {at: 12, outlet: {pdu: pdu1, outlet: 1, action: "off"}}
  - {at: 40, clear: flap}
  - {at: 41, fault: {kind: bmc-busy, target: node03}, for: 5}
  - {at: 50, cable: {switch: sw1, port: 3, plugged: false}}
  - {at: 50, note: "done"}
"""


def _run(text: str = HOT, seconds: float = 60) -> tuple[MemoryRack, list[dict[str, Any]]]:
    m = MemoryRack()
    m.advance(3)
    mark = m.journal.last_seq
    m.rack.scenarios.start(parse_scenario(text))
    m.advance(seconds, step=0.05)
    events = [{k: v for k, v in e.items() if k not in ("seq", "time")} for e in m.journal.entries(mark)]
    return m, events


def test_the_same_scenario_gives_the_same_journal_every_run() -> None:
    first, second = _run()[1], _run()[1]
    assert first == second
    ops = [(e["device"], e["operation"]) for e in first]
    assert ("mem", "scenario-finished") in ops and ("sw1", "port-down") in ops
    assert ("node02", "sel-event") in ops and ("node01", "ac-power") in ops


def test_steps_happen_at_their_times_and_timed_faults_clear_themselves() -> None:
    m, events = _run()
    steps = {e["step"]: e["elapsed"] for e in events if e["operation"] == "step"}
    assert steps[3] == pytest.approx(3 + 12, abs=0.06)
    cleared = [e for e in events if e["operation"] == "cleared" and e["device"] == "node03"]
    assert cleared and cleared[0]["elapsed"] == pytest.approx(3 + 46, abs=0.11)
    assert m.rack.scenarios.all()[0]["state"] == "finished"
    assert m.rack.faults.active()[0]["kind"] == "sensor-ramp"  # never cleared by the scenario


def test_speed_compresses_the_scenarios_timeline() -> None:
    _, events = _run(HOT.replace("seed: hot-1", "seed: hot-1\nspeed: 10"), seconds=6)
    assert ("mem", "scenario-finished") in [(e["device"], e["operation"]) for e in events]


def test_cancel_stops_the_remaining_steps_and_clears_its_faults() -> None:
    m = MemoryRack()
    m.advance(3)
    run = m.rack.scenarios.start(parse_scenario(HOT))
    m.advance(20)
    run.cancel("test")
    assert run.describe()["state"] == "cancelled"
    assert [f["kind"] for f in m.rack.faults.active()] == ["sensor-ramp"]  # unnamed: the scenario keeps no handle
    m.advance(40)
    assert not m.events(operation="scenario-finished")


def test_a_bad_scenario_reports_every_problem_with_its_line() -> None:
    text = """\
scenario: Bad Name
steps:
  - {at: -1, note: x}
  - {at: 2, note: x, power: {node: node01, action: on}}  # a bare on is YAML's true: taken as "on"
  - {at: 3, clear: nothing}
  - {at: 4, outlet: {pdu: pdu1, outlet: 1, action: explode}}
  - {at: 5, power: {node: node01, action: "on"}, colour: red}
"""
    with pytest.raises(SpecError) as raised:
        parse_scenario(text, "bad.yaml")
    lines = str(raised.value).splitlines()
    assert lines[0] == (
        "bad.yaml:1: scenario: 'Bad Name' is not valid: use lower-case letters, digits and '-', starting with a letter"
    )
    assert any(line.startswith("bad.yaml:3: steps[0].at:") for line in lines)
    assert any("bad.yaml:4: steps[1]: a step needs exactly one of" in line for line in lines)
    assert any(line.startswith("bad.yaml:6: steps[3].outlet.action:") for line in lines)
    assert any("unknown key 'colour'" in line and "for" in line for line in lines)


def test_unknown_devices_are_refused_when_the_scenario_meets_the_rack() -> None:
    m = MemoryRack()
    with pytest.raises(SpecError) as raised:
        m.rack.scenarios.start(parse_scenario("scenario: s\nsteps:\n  - {at: 1, power: {node: ghost, action: 'on'}}\n"))
    assert "<scenario>:3: steps[0].power.node: no node named 'ghost' (valid: node01, node02, node03)" in str(
        raised.value
    )


def test_a_failing_step_is_journalled_and_the_scenario_goes_on() -> None:
    _, events = _run("scenario: s\nsteps:\n  - {at: 1, power: {node: node01, action: reset}}\n  - {at: 2, note: ok}\n")
    failed = [e for e in events if e["operation"] == "step-failed"]
    assert failed and "0xd5" in failed[0]["error"]
    assert events[-1]["operation"] == "scenario-finished" and events[-1]["failed"] == 1
