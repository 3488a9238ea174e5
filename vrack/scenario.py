"""Scenarios: a YAML timeline of faults and actions, run by the rack on its own clock.

.. code-block:: yaml

    scenario: hot-node
    seed: hot-1            # seeds the faults' randomness (default: the scenario name)
    speed: 1               # scenario seconds per wall second (see below)
    steps:
      - {at: 0, power: {node: node02, action: on}}
      - {at: 30, outlet: {pdu: pdu1, outlet: 3, action: off}}
      - {at: 60, fault: {kind: sensor-ramp, target: node02, params: {sensor: Temp_CPU0, to: upper_critical,
                        over: 120}}, name: hot}
      - {at: 200, clear: hot}
      - {at: 210, cable: {switch: sw1, port: 2, plugged: false}}
      - {at: 220, note: "the end"}

Each step has ``at`` (seconds from the start) and exactly one action; steps
with the same ``at`` run in file order.  A fault step may have a ``name``
(for a later ``clear``) and ``for`` (seconds until it clears itself).
Validation reports every problem with its line (:mod:`vrack.located`); device
names are checked against the running rack when the scenario is loaded.

Determinism: the same rack seed, scenario and seed give the same steps at the
same rack times and the same fault behaviour, so the same journal.  ``speed``
> 1 compresses the scenario's own timeline (step times, fault durations, ramp
lengths and intervals); devices' own timers (BMC boot, PDU reboot delay) stay
in wall seconds, since the clients talking to them do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from twisted.internet.defer import Deferred

from vrack.errors import InvalidArgument, NotFound, RackError
from vrack.faults import Fault
from vrack.located import SpecError, SpecIssue, located, validate_document
from vrack.spec import PATTERN_HELP
from vrack.spec_model import NAME_PATTERN
from vrack.yamlsource import LocatedDocument, PathKey, YamlSyntaxError, load_yaml, load_yaml_file

if TYPE_CHECKING:
    from vrack.rack import Rack

WHAT = "a scenario is a mapping with keys scenario, steps"
TIMED_PARAMS = ("over", "every", "period", "delay")  # fault parameters in seconds, compressed by ``speed``


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultAction(_Model):
    kind: str = Field(description="a fault kind (GET /api/v1/faults lists them)")
    target: str = Field(description="a device name or a pattern such as node0*")
    params: dict[str, Any] = Field(default_factory=dict)


def _on_off(value: Any) -> Any:
    """YAML 1.1 reads a bare ``on``/``off`` as a boolean; an action means the word."""
    return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value


class PowerAction(_Model):
    node: str
    action: Literal["on", "off", "cycle", "reset", "soft"]

    _words = field_validator("action", mode="before")(_on_off)


class OutletAction(_Model):
    pdu: str
    outlet: int = Field(ge=1)
    action: Literal["on", "off", "reboot"]

    _words = field_validator("action", mode="before")(_on_off)


class CableAction(_Model):
    switch: str
    port: int = Field(ge=1)
    plugged: bool


class Step(_Model):
    """One moment of the timeline: ``at`` plus exactly one of fault, clear, power, outlet, cable, note."""

    at: float = Field(ge=0, description="seconds after the scenario starts")
    name: str | None = Field(default=None, pattern=NAME_PATTERN, description="a fault step's name, for clear")
    for_: float | None = Field(default=None, gt=0, alias="for", description="a fault clears itself after this")
    fault: FaultAction | None = None
    clear: str | None = Field(default=None, description="the name of an earlier fault step")
    power: PowerAction | None = None
    outlet: OutletAction | None = None
    cable: CableAction | None = None
    note: str | None = Field(default=None, max_length=500, description="a line in the journal")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        chosen = [k for k in ACTIONS if getattr(self, k) is not None]
        if len(chosen) != 1:
            got = ", ".join(chosen) or "none"
            raise ValueError(f"a step needs exactly one of {', '.join(ACTIONS)} (got {got})")
        if (self.name is not None or self.for_ is not None) and self.fault is None:
            raise ValueError("name and for belong to fault steps")
        return self

    @property
    def action(self) -> str:
        return next(k for k in ACTIONS if getattr(self, k) is not None)


ACTIONS = ("fault", "clear", "power", "outlet", "cable", "note")


class ScenarioSpec(_Model):
    scenario: str = Field(pattern=NAME_PATTERN, description="scenario name")
    description: str = ""
    seed: str | None = Field(default=None, description="seed of the faults' randomness; default the name")
    speed: float = Field(default=1.0, gt=0, le=1000, description="scenario seconds per wall second")
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> ScenarioSpec:
        seen: set[str] = set()
        for step in sorted(self.steps, key=lambda s: s.at):
            if step.name is not None:
                if step.name in seen:
                    raise ValueError(f"fault step name {step.name!r} is used twice")
                seen.add(step.name)
            if step.clear is not None and step.clear not in seen:
                raise ValueError(f"clear {step.clear!r} names no fault step before it")
        return self


@dataclass(frozen=True)
class Scenario:
    spec: ScenarioSpec
    document: LocatedDocument

    @property
    def name(self) -> str:
        return self.spec.scenario


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        doc = load_yaml(text, source)
    except YamlSyntaxError as exc:
        raise SpecError(source, [SpecIssue("", exc.line, exc.message)]) from None
    return Scenario(validate_document(doc, ScenarioSpec, WHAT, PATTERN_HELP), doc)


def load_scenario(path: str) -> Scenario:
    try:
        doc = load_yaml_file(path)
    except YamlSyntaxError as exc:
        raise SpecError(path, [SpecIssue("", exc.line, exc.message)]) from None
    return Scenario(validate_document(doc, ScenarioSpec, WHAT, PATTERN_HELP), doc)


def check_against(scenario: Scenario, rack: Rack) -> None:
    """Every device a step names exists in ``rack`` with the right kind; :class:`SpecError` otherwise."""
    problems: list[tuple[PathKey, str]] = []
    tables: dict[str, dict[str, Any]] = {"node": rack.nodes, "pdu": rack.pdus, "switch": rack.switches}
    for index, step in enumerate(scenario.spec.steps):
        for action, key, kind in (("power", "node", "node"), ("outlet", "pdu", "pdu"), ("cable", "switch", "switch")):
            value = getattr(step, action)
            name = getattr(value, key) if value is not None else None
            if name is not None and name not in tables[kind]:
                valid = ", ".join(sorted(tables[kind])) or "none"
                problems.append((("steps", index, action, key), f"no {kind} named {name!r} (valid: {valid})"))
    if problems:
        raise located(scenario.document, problems)


@dataclass
class ScenarioRun:
    """A scenario running on a rack: its steps scheduled on the reactor, each journalled as it happens."""

    id: int
    scenario: Scenario
    rack: Rack
    started: str
    state: str = "running"
    done_steps: int = 0
    failed_steps: list[dict[str, Any]] = field(default_factory=list)
    _timers: list[Any] = field(default_factory=list)
    _faults: dict[str, int] = field(default_factory=dict)
    _on_done: Callable[[ScenarioRun], None] | None = None

    def start(self) -> None:
        speed = self.scenario.spec.speed
        ordered = sorted(enumerate(self.scenario.spec.steps), key=lambda pair: (pair[1].at, pair[0]))
        for index, step in ordered:
            self._timers.append(self.rack.reactor.callLater(step.at / speed, self._run_step, index, step))
        self._journal("scenario-started", steps=len(ordered), speed=speed)

    def cancel(self, cause: str) -> None:
        """Stop the remaining steps and clear the faults this run injected."""
        for timer in self._timers:
            if timer.active():
                timer.cancel()
        for fault_id in self._faults.values():
            with contextlib.suppress(NotFound):
                self.rack.faults.clear(fault_id, cause)
        self.state = "cancelled"
        self._journal("scenario-cancelled", cause=cause)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.scenario.name,
            "state": self.state,
            "started": self.started,
            "steps": len(self.scenario.spec.steps),
            "done_steps": self.done_steps,
            "failed_steps": self.failed_steps,
        }

    def _journal(self, operation: str, **fields: Any) -> None:
        self.rack.journal.append(self.rack.rack_name, "scenario", operation, scenario=self.scenario.name, **fields)

    def _run_step(self, index: int, step: Step) -> None:
        cause = f"scenario {self.scenario.name} step {index}"
        try:
            detail = self._act(step, cause)
        except RackError as exc:
            self.failed_steps.append({"step": index, "error": exc.message})
            self._journal("step-failed", step=index, action=step.action, error=exc.message)
        else:
            self._journal("step", step=index, action=step.action, at=step.at, **detail)
        self.done_steps += 1
        if self.done_steps == len(self.scenario.spec.steps) and self.state == "running":
            self.state = "finished"
            self._journal("scenario-finished", failed=len(self.failed_steps))
            if self._on_done is not None:
                self._on_done(self)

    def _act(self, step: Step, cause: str) -> dict[str, Any]:
        rack, speed = self.rack, self.scenario.spec.speed
        if step.fault is not None:
            params = {k: v / speed if k in TIMED_PARAMS and isinstance(v, int | float) else v
                      for k, v in step.fault.params.items()}  # fmt: skip
            seed = f"{self.scenario.spec.seed or self.scenario.name}/{len(self._faults)}"
            record = rack.faults.inject(Fault(step.fault.kind, step.fault.target, params, seed), cause)
            if step.name is not None:
                self._faults[step.name] = record.id
            if step.for_ is not None:
                self._timers.append(rack.reactor.callLater(step.for_ / speed, self._expire, record.id, cause))
            return {"fault": record.id, "kind": step.fault.kind, "devices": list(record.devices)}
        if step.clear is not None:
            fault_id = self._faults.pop(step.clear, None)
            if fault_id is None:
                raise InvalidArgument(f"fault step {step.clear!r} did not inject a fault", "clear")
            rack.faults.clear(fault_id, cause)
            return {"fault": fault_id}
        if step.power is not None:
            answer = rack.power_node(step.power.node, step.power.action, cause)
            if isinstance(answer, Deferred):  # a node a worker serves: its BMC's refusal comes later
                node, action = step.power.node, step.power.action
                answer.addErrback(lambda failure: self._refused(node, action, failure))
            return {"node": step.power.node, "power": step.power.action}
        if step.outlet is not None:
            rack.switch_outlet(step.outlet.pdu, step.outlet.outlet, step.outlet.action, cause)
            return {"pdu": step.outlet.pdu, "outlet": step.outlet.outlet, "outlet_action": step.outlet.action}
        if step.cable is not None:
            rack.set_cable(step.cable.switch, step.cable.port, step.cable.plugged, cause)
            return {"switch": step.cable.switch, "port": step.cable.port, "plugged": step.cable.plugged}
        return {"note": step.note}

    def _refused(self, node: str, action: str, failure: Any) -> None:
        """A worker-served node's BMC refused a power step after the step was taken: journal its words."""
        error = failure.value
        message = error.message if isinstance(error, RackError) else str(error)
        self.rack.journal.append(node, "control", "power-refused", action=action, error=message)

    def _expire(self, fault_id: int, cause: str) -> None:
        with contextlib.suppress(NotFound):
            self.rack.faults.clear(fault_id, f"{cause} (for elapsed)")


class ScenarioBoard:
    """The scenarios a rack has run or runs, by id."""

    def __init__(self, rack: Rack) -> None:
        self._rack = rack
        self._runs: dict[int, ScenarioRun] = {}

    def start(self, scenario: Scenario) -> ScenarioRun:
        check_against(scenario, self._rack)
        run = ScenarioRun(len(self._runs) + 1, scenario, self._rack, self._rack.clock.isoformat())
        self._runs[run.id] = run
        run.start()
        return run

    def get(self, run_id: int) -> ScenarioRun:
        run = self._runs.get(run_id)
        if run is None:
            raise NotFound(f"no scenario run with id {run_id}", "id", sorted(self._runs))
        return run

    def all(self) -> list[dict[str, Any]]:
        return [run.describe() for run in self._runs.values()]

    def cancel_all(self, cause: str) -> None:
        for run in self._runs.values():
            if run.state == "running":
                run.cancel(cause)
