"""In-memory tests of the MIB table and the operation semantics of DeviceController (no sockets)."""

from __future__ import annotations

import pytest
from pysnmp.proto import rfc1902, rfc1905
from twisted.internet.task import Clock

from snmp_agent.config import SnmpRecord
from snmp_agent.controller import MAX_BULK_VARBINDS, DeviceController, Principal
from snmp_agent.errors import ERROR_STATUS_CODES, error_status_for
from snmp_agent.source import (
    InconsistentValue,
    MibTable,
    NoCreation,
    NotWritable,
    SnmpError,
    WrongType,
    WrongValue,
    parse_oid,
)

RW = Principal("private", "rw", "v2c")
RO = Principal("public", "ro", "v2c")
V1 = Principal("public", "ro", "v1")


def oid(text: str) -> tuple[int, ...]:
    return parse_oid(text)


@pytest.fixture
def state() -> dict[str, int]:
    return {"outlet": 1, "other": 7}


@pytest.fixture
def table(state: dict[str, int]) -> MibTable:
    t = MibTable()
    t.add("1.3.6.1.2.1.1.1.0", rfc1902.OctetString("Test PDU"))
    t.add("1.3.6.1.2.1.1.2.0", rfc1902.ObjectIdentifier("1.3.6.1.4.1.99"))

    def check(value: object) -> None:
        if not isinstance(value, rfc1902.Integer32):
            raise WrongType("integer expected")
        if int(value) not in (1, 2):
            raise WrongValue("1 or 2")

    def setter(key: str):  # type: ignore[no-untyped-def]
        def apply(value: object) -> None:
            state[key] = int(value)  # type: ignore[call-overload]

        return apply

    t.add(
        "1.3.6.1.4.1.99.1.1", getter=lambda: rfc1902.Integer32(state["outlet"]), setter=setter("outlet"), checker=check
    )
    t.add("1.3.6.1.4.1.99.1.2", getter=lambda: rfc1902.Integer32(state["other"]), setter=setter("other"), checker=check)
    t.add("1.3.6.1.4.1.99.2.0", rfc1902.Counter64(2**40))
    t.add("1.3.6.1.4.1.99.3.0", rfc1902.Integer32(3))
    return t


@pytest.fixture
def clock() -> Clock:
    c = Clock()
    c.advance(1000.0)
    return c


@pytest.fixture
def records() -> list[SnmpRecord]:
    return []


@pytest.fixture
def controller(table: MibTable, clock: Clock, records: list[SnmpRecord]) -> DeviceController:
    return DeviceController(table, name="pdu-a", clock=clock, observer=records.append)


def test_table_orders_oids_lexicographically_not_as_strings() -> None:
    """OIDs sort by arcs (1.10 after 1.9), whatever the insertion order."""
    t = MibTable()
    for text in ("1.3.6.1.10.0", "1.3.6.1.9.0", "1.3.6.1.9.1", "1.3.6.1.2.1.1.0"):
        t.add(text, rfc1902.Integer32(0))
    assert [".".join(map(str, o)) for o in t.oids()] == [
        "1.3.6.1.2.1.1.0",
        "1.3.6.1.9.0",
        "1.3.6.1.9.1",
        "1.3.6.1.10.0",
    ]
    assert t.get_next(oid("1.3.6.1.9.1"))[0] == oid("1.3.6.1.10.0")  # type: ignore[index]
    assert t.get_next(oid("1.3.6.1.10.0")) is None


def test_table_live_and_secret_hints() -> None:
    """Getter-bound instances are live, static values are not; secret is opt-in."""
    t = MibTable()
    t.add("1.1.0", rfc1902.Integer32(1))
    t.add("1.2.0", getter=lambda: rfc1902.Integer32(2))
    t.add("1.3.0", getter=lambda: rfc1902.OctetString(""), setter=lambda v: None, live=False, secret=True)
    assert (t.is_live(oid("1.1.0")), t.is_live(oid("1.2.0")), t.is_live(oid("1.3.0"))) == (False, True, False)
    assert t.is_secret(oid("1.3.0")) and not t.is_secret(oid("1.2.0"))


def test_get_distinguishes_no_such_object_from_no_such_instance(controller: DeviceController) -> None:
    """A missing instance of a known column is noSuchInstance; an unknown object is noSuchObject."""
    out = controller.get(
        [(oid("1.3.6.1.2.1.1.1.0"), None), (oid("1.3.6.1.2.1.1.1.5"), None), (oid("1.3.6.1.2.1.1.9.0"), None)], RO
    )
    assert out.error_status == "noError"
    assert str(out.varbinds[0][1]) == "Test PDU"
    assert out.varbinds[1][1] is rfc1905.noSuchInstance
    assert out.varbinds[2][1] is rfc1905.noSuchObject


def test_getnext_walks_in_order_and_ends_with_end_of_mib_view(controller: DeviceController, table: MibTable) -> None:
    """Repeated GETNEXT from OID 1 visits every instance once, in order, then endOfMibView."""
    seen = []
    cursor: tuple[int, ...] = (1,)
    while True:
        ((name, value),) = controller.get_next([(cursor, None)], RO).varbinds
        if value is rfc1905.endOfMibView:
            break
        seen.append(name)
        cursor = name
    assert seen == table.oids()


def test_v1_getnext_skips_counter64(controller: DeviceController) -> None:
    """SNMPv1 cannot carry Counter64, so a v1 GETNEXT steps over it (RFC 2576 4.1.2.1)."""
    ((name, value),) = controller.get_next([(oid("1.3.6.1.4.1.99.1.2"), None)], V1).varbinds
    assert name == oid("1.3.6.1.4.1.99.3.0") and int(value) == 3
    ((name, _),) = controller.get_next([(oid("1.3.6.1.4.1.99.1.2"), None)], RO).varbinds
    assert name == oid("1.3.6.1.4.1.99.2.0")


def test_getbulk_non_repeaters_and_max_repetitions(controller: DeviceController) -> None:
    """N non-repeaters get one successor each, then R repeaters get up to M rows."""
    out = controller.get_bulk([(oid("1.3.6.1.2.1.1.1.0"), None), (oid("1.3.6.1.4.1.99.1"), None)], 1, 2, RO)
    names = [".".join(map(str, n)) for n, _ in out.varbinds]
    assert names == ["1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.99.1.1", "1.3.6.1.4.1.99.1.2"]


def test_getbulk_stops_at_end_of_mib_view(controller: DeviceController, table: MibTable) -> None:
    """A bulk request past the end returns the remaining rows plus one endOfMibView row, not M rows."""
    out = controller.get_bulk([(oid("1.3.6.1.4.1.99.1.2"), None)], 0, 50, RO)
    assert [n for n, _ in out.varbinds[:-1]] == table.oids()[-2:]
    assert out.varbinds[-1][1] is rfc1905.endOfMibView


def test_getbulk_caps_the_response(clock: Clock) -> None:
    """A huge max-repetitions is capped so the response fits in a datagram."""
    t = MibTable()
    for i in range(1, 10_000):
        t.add((1, 3, 6, 1, 4, 1, 99, i), rfc1902.Integer32(i))
    out = DeviceController(t, name="big", clock=clock).get_bulk([((1,), None)], 0, 100_000, RO)
    assert 100 < len(out.varbinds) <= MAX_BULK_VARBINDS
    assert len(out.varbinds) < 9_999


def test_getbulk_answers_a_rackhd_counter_poll_whole(clock: Clock) -> None:
    """RackHD's txrx poll asks 22 IF-MIB columns x -Cr49 in one snmpbulkget; every row comes back."""
    t = MibTable()
    columns = range(1, 23)
    for column in columns:
        for row in range(1, 50):
            t.add((1, 3, 6, 1, 2, 1, 2, 2, 1, column, row), rfc1902.Counter32(row))
    request = [((1, 3, 6, 1, 2, 1, 2, 2, 1, column), None) for column in columns]
    out = DeviceController(t, name="sw", clock=clock).get_bulk(request, 0, 49, RO)
    assert len(out.varbinds) == 22 * 49


def test_set_applies_and_reports(
    controller: DeviceController, state: dict[str, int], records: list[SnmpRecord]
) -> None:
    """A valid SET from a read-write principal changes state and is recorded with its value and time."""
    out = controller.set([(oid("1.3.6.1.4.1.99.1.1"), rfc1902.Integer32(2))], RW, peer="127.0.0.1:5000")
    assert (out.error_status, state["outlet"]) == ("noError", 2)
    assert records == [
        SnmpRecord(
            1000.0, "pdu-a", "127.0.0.1:5000", "set", ("1.3.6.1.4.1.99.1.1",), ("2",), "noError", "private", "v2c"
        )
    ]


def test_read_only_set_is_refused_and_not_applied(
    controller: DeviceController, state: dict[str, int], records: list[SnmpRecord]
) -> None:
    """A read-only community gets noAccess and the device is untouched; the refusal is recorded."""
    out = controller.set([(oid("1.3.6.1.4.1.99.1.1"), rfc1902.Integer32(2))], RO)
    assert (out.error_status, out.error_index, state["outlet"]) == ("noAccess", 1, 1)
    assert records[-1].error_status == "noAccess"


@pytest.mark.parametrize(
    ("target", "value", "status"),
    [
        ("1.3.6.1.4.1.99.1.1", rfc1902.OctetString("x"), "wrongType"),
        ("1.3.6.1.4.1.99.1.1", rfc1902.Integer32(9), "wrongValue"),
        ("1.3.6.1.2.1.1.1.0", rfc1902.OctetString("x"), "notWritable"),
        ("1.3.6.1.4.1.99.1.7", rfc1902.Integer32(1), "noCreation"),
        ("1.3.6.1.4.1.77.0", rfc1902.Integer32(1), "notWritable"),
    ],
)
def test_set_error_statuses(controller: DeviceController, target: str, value: object, status: str) -> None:
    """Each refusal carries the status of the typed error the source raised."""
    out = controller.set([(oid(target), value)], RW)
    assert (out.error_status, out.error_index) == (status, 1)


def test_multi_varbind_set_is_all_or_nothing(controller: DeviceController, state: dict[str, int]) -> None:
    """If the second varbind is refused, the first is not applied, and the error index points at the second."""
    out = controller.set(
        [(oid("1.3.6.1.4.1.99.1.1"), rfc1902.Integer32(2)), (oid("1.3.6.1.4.1.99.1.2"), rfc1902.Integer32(5))], RW
    )
    assert (out.error_status, out.error_index) == ("wrongValue", 2)
    assert state == {"outlet": 1, "other": 7}


def test_reads_of_live_objects_are_reported_static_ones_are_not(
    controller: DeviceController, records: list[SnmpRecord]
) -> None:
    """GET of sysDescr is not journaled; GET of an outlet state is."""
    controller.get([(oid("1.3.6.1.2.1.1.1.0"), None)], RO)
    assert records == []
    controller.get([(oid("1.3.6.1.4.1.99.1.1"), None)], RO, peer="127.0.0.1:1")
    assert [(r.operation, r.oids, r.principal) for r in records] == [("get", ("1.3.6.1.4.1.99.1.1",), "public")]


def test_secret_values_never_reach_records(clock: Clock) -> None:
    """A SET of a secret object is recorded with its value redacted."""
    t = MibTable()
    t.add("1.3.6.1.4.1.99.6.1", getter=lambda: rfc1902.OctetString(""), setter=lambda v: None, secret=True)
    records: list[SnmpRecord] = []
    DeviceController(t, name="hawk", clock=clock, observer=records.append).set(
        [(oid("1.3.6.1.4.1.99.6.1"), rfc1902.OctetString("hunter2"))], RW
    )
    assert records[0].values == ("<redacted>",)
    assert "hunter2" not in repr(records)


def test_a_failing_getter_gives_gen_err_not_a_crash(clock: Clock) -> None:
    """A device bug while reading answers genErr at the right index instead of propagating."""
    t = MibTable()
    t.add("1.1.0", rfc1902.Integer32(1))

    def broken() -> object:
        raise RuntimeError("sensor unplugged")

    t.add("1.2.0", getter=broken)
    out = DeviceController(t, name="x", clock=clock).get([((1, 1, 0), None), ((1, 2, 0), None)], RO)
    assert (out.error_status, out.error_index) == ("genErr", 2)


def test_unauthorized_principal_gets_authorization_error(controller: DeviceController, state: dict[str, int]) -> None:
    """A v3 user of another device is refused every operation with authorizationError."""
    stranger = Principal("bob", "rw", "v3", authorized=False)
    assert controller.get([(oid("1.3.6.1.2.1.1.1.0"), None)], stranger).error_status == "authorizationError"
    assert (
        controller.set([(oid("1.3.6.1.4.1.99.1.1"), rfc1902.Integer32(2))], stranger).error_status
        == "authorizationError"
    )
    assert state["outlet"] == 1


def test_error_table_covers_every_snmp_error_subclass() -> None:
    """Every typed error maps to its own RFC 3416 status; unknown exceptions map to genErr."""
    for cls in (NotWritable, WrongType, WrongValue, NoCreation, InconsistentValue):
        assert error_status_for(cls("x")) == cls.status
        assert cls.status in ERROR_STATUS_CODES
    assert error_status_for(SnmpError("x")) == "genErr"
    assert error_status_for(KeyError("x")) == "genErr"
