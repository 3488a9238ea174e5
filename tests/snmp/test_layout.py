"""Layout: one shared MIB bound per device, with MibTable's semantics."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pysnmp.proto import rfc1902

from snmp_agent.layout import Layout
from snmp_agent.source import MibTable, NoCreation, NotWritable, Oid, Value, WrongValue


@dataclass
class Device:
    state: int
    name: str


def check(_device: Device, value: Value) -> None:
    if int(value) not in (1, 2):
        raise WrongValue("1 or 2")


def layout() -> Layout[Device]:
    shared: Layout[Device] = Layout()
    shared.add((1, 3, 1, 0), rfc1902.OctetString("model"))
    shared.add((1, 3, 2, 0), getter=lambda d: rfc1902.OctetString(d.name), live=False)
    shared.add(
        (1, 3, 3, 1),
        getter=lambda d: rfc1902.Integer32(d.state),
        setter=lambda d, v: setattr(d, "state", int(v)),
        checker=check,
    )
    shared.add((1, 3, 3, 2), rfc1902.Integer32(7), live=True)
    return shared


def table(device: Device) -> MibTable:
    """The same instances as a MibTable of one device (the reference semantics)."""
    t = MibTable()
    t.add((1, 3, 1, 0), rfc1902.OctetString("model"))
    t.add((1, 3, 2, 0), getter=lambda: rfc1902.OctetString(device.name), live=False)
    t.add(
        (1, 3, 3, 1),
        getter=lambda: rfc1902.Integer32(device.state),
        setter=lambda v: setattr(device, "state", int(v)),
        checker=lambda v: check(device, v),
    )
    t.add((1, 3, 3, 2), rfc1902.Integer32(7), live=True)
    return t


PROBES: list[Oid] = [(0,), (1, 3), (1, 3, 1, 0), (1, 3, 1, 1), (1, 3, 2), (1, 3, 3, 1), (1, 3, 3, 3), (1, 4), (2,)]


def test_devices_bound_to_one_layout_answer_as_their_own_tables() -> None:
    shared = layout()
    for device in (Device(1, "a"), Device(2, "b")):
        bound, reference = shared.bind(device), table(device)
        assert bound.oids() == reference.oids() and len(shared) == len(reference)
        for oid in PROBES:
            assert bound.get(oid) == reference.get(oid)
            assert bound.get_next(oid) == reference.get_next(oid)
            assert bound.has_object(oid) == reference.has_object(oid)
            assert bound.is_live(oid) == reference.is_live(oid)
            assert bound.is_secret(oid) == reference.is_secret(oid)


def test_sets_reach_the_bound_device_only() -> None:
    shared = layout()
    a, b = Device(1, "a"), Device(1, "b")
    shared.bind(a).set((1, 3, 3, 1), rfc1902.Integer32(2))
    assert (a.state, b.state) == (2, 1)
    with pytest.raises(WrongValue):
        shared.bind(b).set((1, 3, 3, 1), rfc1902.Integer32(9))
    with pytest.raises(NotWritable):
        shared.bind(a).test_set((1, 3, 1, 0), rfc1902.OctetString("x"))
    with pytest.raises(NoCreation):
        shared.bind(a).test_set((1, 3, 3, 9), rfc1902.Integer32(1))
    with pytest.raises(NotWritable):
        shared.bind(a).test_set((1, 9), rfc1902.Integer32(1))


def test_an_instance_needs_a_value_or_a_getter() -> None:
    with pytest.raises(ValueError, match=r"1\.3\.5"):
        Layout[Device]().add((1, 3, 5))
