"""LazySource: a device's MIB made at the first request, answering exactly as the built MIB does."""

from __future__ import annotations

from pysnmp.proto import rfc1902
from twisted.internet.task import Clock

from pdu_sim import Pdu
from snmp_agent.controller import DeviceController, Principal
from snmp_agent.source import LazySource, MibSource, MibTable, NotWritable, Oid, Value
from switch_sim.device import Switch
from tests.support.mib_walk import walk

RW = Principal("private", "rw", "v2c")


def test_the_factory_runs_once_at_the_first_request() -> None:
    calls: list[int] = []
    table = MibTable()
    table.add((1, 3, 6, 1, 2, 1, 1, 5, 0), rfc1902.OctetString("dev"))

    def factory() -> MibSource:
        calls.append(1)
        return table

    lazy = LazySource(factory)
    DeviceController(lazy, name="dev", clock=Clock())  # an agent starting: nothing is built
    assert not lazy.built and calls == []
    assert lazy.get((1, 3, 6, 1, 2, 1, 1, 5, 0)) == rfc1902.OctetString("dev")
    assert lazy.has_object((1, 3, 6, 1, 2, 1, 1, 5, 1)) and not lazy.has_object((1, 4))
    assert walk(lazy) == walk(table)
    assert lazy.built and calls == [1]


def test_a_controller_reads_the_built_source_after_the_first_request() -> None:
    table = MibTable()
    table.add((1, 3, 6, 1, 2, 1, 1, 5, 0), rfc1902.OctetString("dev"))
    table.add((1, 3, 6, 1, 2, 1, 1, 3, 0), getter=lambda: rfc1902.TimeTicks(5))
    lazy = LazySource(lambda: table)
    controller = DeviceController(lazy, name="dev", clock=Clock())
    assert not lazy.built
    outcome = controller.get_next([((1, 3, 6, 1, 2, 1, 1, 3), None)], RW)
    assert outcome.varbinds == [((1, 3, 6, 1, 2, 1, 1, 3, 0), rfc1902.TimeTicks(5))]
    assert outcome.live_oids == [(1, 3, 6, 1, 2, 1, 1, 3, 0)]  # the built table's liveness
    assert controller.source is table


def test_hints_and_writes_are_the_built_sources() -> None:
    state = {"v": 1}
    table = MibTable()
    table.add((1, 3, 6, 1), rfc1902.Integer32(7))
    table.add((1, 3, 6, 2), getter=lambda: rfc1902.Integer32(state["v"]), setter=lambda v: state.update(v=int(v)))
    table.add((1, 3, 6, 3), getter=lambda: rfc1902.OctetString(""), setter=lambda v: None, secret=True)
    lazy = LazySource(lambda: table)
    assert [lazy.is_live(oid) for oid in ((1, 3, 6, 1), (1, 3, 6, 2))] == [False, True]
    assert lazy.is_secret((1, 3, 6, 3)) and not lazy.is_secret((1, 3, 6, 2))
    lazy.set((1, 3, 6, 2), rfc1902.Integer32(5))
    assert state["v"] == 5
    try:
        lazy.test_set((1, 3, 6, 1), rfc1902.Integer32(1))
    except NotWritable:
        pass
    else:
        raise AssertionError("a static instance took a SET")


def test_without_hints_every_object_is_live_and_none_secret() -> None:
    class Bare:
        def get(self, oid: Oid) -> Value | None:
            return None

        def has_object(self, oid: Oid) -> bool:
            return False

        def get_next(self, oid: Oid) -> tuple[Oid, Value] | None:
            return None

        def test_set(self, oid: Oid, value: Value) -> None:
            raise NotWritable("-")

        def set(self, oid: Oid, value: Value) -> None:
            raise NotWritable("-")

    lazy = LazySource(Bare)
    assert lazy.is_live((1, 3)) and not lazy.is_secret((1, 3))


def test_a_pdu_and_a_switch_built_late_answer_as_built_at_once() -> None:
    """Values come from device state at read time, so building after state changed gives the same walk."""
    clock = Clock()
    early_pdu = Pdu("servertech-sentry3", name="p", outlets=8, clock=clock)
    late_pdu = Pdu("servertech-sentry3", name="p", outlets=8, clock=clock)
    early_switch = Switch(
        "arista-7050", name="s", ports=8, clock=clock, base_mac="00:1c:73:00:00:00", serial="x", seed=3
    )
    late_switch = Switch(
        "arista-7050", name="s", ports=8, clock=clock, base_mac="00:1c:73:00:00:00", serial="x", seed=3
    )
    early = [early_pdu.source, early_switch.source]
    lazy = [LazySource(lambda: late_pdu.source), LazySource(lambda: late_switch.source)]
    clock.advance(100)
    for pdu in (early_pdu, late_pdu):
        pdu.set_outlet(2, False, "test")
        pdu.set_outlet_load(1, 300)
    for switch in (early_switch, late_switch):
        switch.set_link(1, True)
    clock.advance(50)
    for built, late in zip(early, lazy, strict=True):
        assert walk(late) == walk(built)
