"""The coordinator's stand-in for a worker-served node (``vrack.split.remote.RemoteNode``), without processes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.defer import Deferred

from vrack.errors import DeviceStateConflict, InvalidArgument, Unavailable
from vrack.plan import build_plan
from vrack.roles import ComputeNode
from vrack.spec import parse_spec
from vrack.split.remote import RemoteNode, rng_from_state

SPEC = """\
rack: remote
seed: remote-seed
networks: {management: 127.200.61.0/24}
devices:
  - {name: node01, kind: compute, model: generic}
"""


def _node() -> tuple[RemoteNode, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    plan = build_plan(parse_spec(SPEC))

    def call(message: dict[str, Any]) -> Deferred[Any]:
        sent.append(message)
        return Deferred()

    return RemoteNode(plan.node("node01"), 1, sent.append, call, plan), sent


def _state(ac: bool, host: bool, draw: float, **more: Any) -> dict[str, Any]:
    return {"ac": ac, "host": host, "draw": draw, "responsive": ac, "cause": "test", **more}


def test_it_is_a_compute_node_to_the_rack() -> None:
    """The rack sorts devices by role: a stand-in missing a role's method would not be a node at all."""
    node, _ = _node()
    assert isinstance(node, ComputeNode)
    assert all(hasattr(RemoteNode, name) for name in dir(ComputeNode) if not name.startswith("_"))


def test_it_stays_a_compute_node_once_a_rack_has_been_built() -> None:
    """Building a rack's devices makes zope.interface stamp ``__provides__`` on the role protocols' classes
    (they are bases of the local devices); the stand-in must still count as a node after that."""
    from twisted.internet.testing import MemoryReactorClock

    from vrack.clock import RackClock
    from vrack.journal import Journal
    from vrack.rack import Rack

    plan = build_plan(parse_spec(SPEC + "  - {name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8}\n"))
    reactor = MemoryReactorClock()
    clock = RackClock(reactor, plan.spec.epoch)
    Rack(plan, reactor, Journal(clock), clock)
    node, _ = _node()
    assert isinstance(node, ComputeNode)


def test_ac_and_power_go_to_the_worker_and_no_ac_is_refused_here() -> None:
    node, sent = _node()
    with pytest.raises(DeviceStateConflict, match="no AC power"):
        node.control_power("on", "test")
    node.set_ac(True, "rack start")
    node.control_power("on", "control API")
    assert sent == [
        {"t": "ac", "node": "node01", "on": True, "cause": "rack start"},
        {"t": "call", "node": "node01", "op": "control_power", "args": ["on", "control API"]},
    ]


def test_reported_state_reaches_listeners_and_describe() -> None:
    node, _ = _node()
    heard: list[tuple[bool, str]] = []
    draws: list[float] = []
    node.add_host_power_listener(lambda on, cause: heard.append((on, cause)))
    node.add_draw_listener(lambda: draws.append(node.power_draw()))
    node.update(_state(True, False, 15.0, credentials={"bmc": {"users": [{"name": "admin"}]}}))
    assert heard == [] and draws == [15.0]
    node.update(_state(True, True, 250.0))
    assert heard == [(True, "test")] and node.host_powered and node.power_draw() == 250.0
    described = node.describe()
    assert described["power"] is True and described["ac_power"] is True and described["worker"] == 1
    assert described["bmc"]["address"] == "127.200.61.1" and described["bmc"]["users"] == ["admin"]
    assert node.credentials() == {"bmc": {"users": [{"name": "admin"}]}}


def test_faults_are_checked_here_then_sent_to_the_worker_in_order() -> None:
    """A bad sensor or drive is refused at once with the local node's words; good commands go to the worker."""
    node, sent = _node()
    with pytest.raises(InvalidArgument, match="no threshold sensor 'Nope'") as refused:
        node.force_sensor("Nope", 90.0, "test")
    sensors = refused.value.valid or []
    assert sensors and "Nope" not in sensors
    with pytest.raises(InvalidArgument, match="no drive 9"):
        node.set_disk_failing(9, True, "test")
    assert sent == []
    node.set_bmc_fault("hang", True, "test")
    node.force_sensor(sensors[0], 91.5, "test")
    assert [(m["t"], m["op"], m["args"]) for m in sent] == [
        ("op", "set_bmc_fault", ["hang", True, "test"]),
        ("op", "force_sensor", [sensors[0], 91.5, "test"]),
    ]
    assert node.sensor_levels(sensors[0]).current == 91.5  # what a ramp fault starts from


def test_a_link_faults_generator_reaches_the_worker_in_the_same_state() -> None:
    node, sent = _node()
    rng = random.Random("seed/node01")
    expected = random.Random("seed/node01")
    node.set_link_loss(0.25, rng, "test")
    copy = rng_from_state(sent[-1]["args"][1])
    assert copy is not None and [copy.random() for _ in range(5)] == [expected.random() for _ in range(5)]


def test_reads_are_answered_by_the_worker_and_fail_when_it_is_gone() -> None:
    plan = build_plan(parse_spec(SPEC))
    calls: list[dict[str, Any]] = []
    answers: list[Deferred[Any]] = []

    def call(message: dict[str, Any]) -> Deferred[Any]:
        calls.append(message)
        answers.append(Deferred())
        return answers[-1]

    node = RemoteNode(plan.node("node01"), 1, lambda message: None, call, plan)
    got: list[Any] = []
    entries = node.sel_entries()
    assert isinstance(entries, Deferred)
    entries.addCallback(got.append)
    answers[0].callback([{"id": 1}])
    assert got == [[{"id": 1}]] and calls[0]["op"] == "sel_entries"
    with pytest.raises(InvalidArgument, match="asserted"):
        node.add_sel_event({"sensor_type": 1, "sensor_number": 2, "asserted": "yes"}, "test")
    gone = RemoteNode(plan.node("node01"), 1, lambda message: None, None, plan).sensor_readings()
    assert isinstance(gone, Deferred)
    failures: list[Any] = []
    gone.addErrback(failures.append)
    assert failures and failures[0].check(Unavailable)


CABLED = """\
rack: remote
seed: remote-seed
networks: {management: 127.200.61.0/24}
devices:
  - {name: node01, kind: compute, model: generic}
  - {name: sw1, kind: switch, model: arista-7050, ports: 8}
cables:
  - {a: node01/nic1, b: sw1/5}
"""


def test_what_the_nodes_lldp_agent_hears_goes_to_the_worker_when_it_changes() -> None:
    """The worker's host hears the switch once its host is on, nothing once the cable is pulled."""
    from twisted.internet.testing import MemoryReactorClock

    from vrack.clock import RackClock
    from vrack.devices.switch import build_switch_devices
    from vrack.journal import Journal
    from vrack.plan import RackPlan
    from vrack.rack import Rack
    from vrack.split.worker import Worker

    plan = build_plan(parse_spec(CABLED))
    sent: list[dict[str, Any]] = []
    node = RemoteNode(plan.node("node01"), 0, sent.append, None, plan)

    def devices(rack_plan: RackPlan, context: Any) -> Iterator[Any]:
        yield node
        yield from build_switch_devices(rack_plan, context)

    reactor = MemoryReactorClock()
    clock = RackClock(reactor, plan.spec.epoch)
    rack = Rack(plan, reactor, Journal(clock), clock, devices=devices)
    node.update(_state(True, True, 240.0))
    heard = [m for m in sent if m["t"] == "neighbors"]
    assert len(heard) == 1 and [nic for nic, _ in heard[0]["heard"]] == [1]
    assert heard[0]["heard"][0][1]["chassis_name"] == "sw1"

    rack.set_cable("sw1", 5, False, "test")
    rack.set_cable("sw1", 5, False, "test")  # no change: nothing sent
    assert [m["heard"] for m in sent if m["t"] == "neighbors"][1:] == [[]]
    assert Worker.neighbors_of(heard[0]["heard"])[0].remote == rack.switches["sw1"].port_end(5)


def test_describe_before_the_workers_describe_is_the_plans_with_the_reported_state() -> None:
    """Until a host power change brings the worker's ``describe()``, it is made from the plan at each call."""
    node, _ = _node()
    node.update(_state(True, False, 15.0, credentials={"bmc": {"users": [{"name": "admin", "password": "x"}]}}))
    described = node.describe()
    assert described["bmc"] == {"address": "127.200.61.1", "port": 623, "users": ["admin"], "responsive": True}
    assert described["nics"] and described["power"] is False and described["ac_power"] is True
    node.update(_state(True, True, 250.0, describe={**described, "boot": "pxe"}))
    assert node.describe()["boot"] == "pxe" and node.describe()["power"] is True


def test_equal_user_lists_are_held_once_and_a_changed_one_is_the_nodes_own() -> None:
    """100,000 stand-ins mostly hold the same BMC users: one list for them, not one each."""
    users = [{"id": 2, "name": "admin", "password": "admin", "privilege": "administrator"}]

    def sent(address: str, users: list[dict[str, Any]]) -> dict[str, Any]:
        return {"bmc": {"address": address, "port": 623, "users": [dict(u) for u in users]}}

    first, _ = _node()
    second, _ = _node()
    first.update(_state(True, False, 0.0, credentials=sent("a", users)))
    second.update(_state(True, False, 0.0, credentials=sent("b", users)))
    assert first.credentials()["bmc"]["users"] is second.credentials()["bmc"]["users"]
    assert first.credentials() == sent("a", users) and second.credentials() == sent("b", users)
    changed = [{**users[0], "password": "new"}]
    second.update(_state(True, False, 0.0, credentials=sent("b", changed)))
    assert second.credentials() == sent("b", changed) and first.credentials() == sent("a", users)
    assert second.describe()["bmc"]["users"] == ["admin"]


def test_credentials_of_another_shape_are_kept_as_sent() -> None:
    node, _ = _node()
    odd = {"bmc": {"address": "a", "users": [{"name": "admin", "keys": ["k"]}]}, "console": {"port": 2200}}
    node.update(_state(True, False, 0.0, credentials=odd))
    assert node.credentials() == odd
