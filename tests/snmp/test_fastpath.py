"""In-memory tests of snmp_agent.fastpath.FastPath: v1/v2c semantics, access control, drops and records.

Requests are encoded and responses decoded with pysnmp's own protocol API (pyasn1), so these tests do not
trust snmp_agent.ber; no sockets, time from a twisted Clock.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v1 as api_v1
from pysnmp.proto.api import v2c as api_v2c
from twisted.internet.task import Clock

from snmp_agent.config import CommunityConfig, SnmpRecord
from snmp_agent.controller import DeviceController
from snmp_agent.fastpath import DROP, MAX_MESSAGE_SIZE, PYSNMP, FastPath
from snmp_agent.source import MibTable, WrongValue
from tests.support.snmp_messages import encode_request

PEER = ("127.25.0.9", 40161)
DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
MISSING_INSTANCE = (1, 3, 6, 1, 2, 1, 1, 9, 0)  # object 1.3.6.1.2.1.1.9 exists (sibling .1), instance .0 not
OUTLET = (1, 3, 6, 1, 4, 1, 99999, 1, 3, 1)
BIG = (1, 3, 6, 1, 4, 1, 99999, 2, 0)
LAST = (1, 3, 6, 1, 4, 1, 99999, 10, 0)
HUGE = (1, 3, 6, 1, 4, 1, 99999, 20)


def build(state: dict[str, int]) -> MibTable:
    table = MibTable()
    table.add(DESCR, rfc1902.OctetString("fast path test"))
    table.add(NAME, rfc1902.OctetString("fp-1"))
    table.add((1, 3, 6, 1, 2, 1, 1, 9, 1), rfc1902.OctetString("sibling"))

    def check(value: Any) -> None:
        if int(value) not in (1, 2, 3):
            raise WrongValue("1..3")

    def apply(value: Any) -> None:
        state["outlet"] = int(value)

    table.add(OUTLET, getter=lambda: rfc1902.Integer32(state["outlet"]), setter=apply, checker=check)
    table.add(BIG, rfc1902.Counter64(2**40 + 5))
    table.add(LAST, rfc1902.Integer32(10))
    return table


@pytest.fixture
def state() -> dict[str, int]:
    return {"outlet": 1}


@pytest.fixture
def records() -> list[SnmpRecord]:
    return []


@pytest.fixture
def fast(state: dict[str, int], records: list[SnmpRecord]) -> FastPath:
    controller = DeviceController(build(state), name="fp", clock=Clock(), observer=records.append)
    return FastPath(controller, [CommunityConfig("public", "ro"), CommunityConfig("private", "rw")], {"v1", "v2c"})


def request(
    kind: str,
    oids: list[tuple[int, ...]],
    *,
    version: int = 1,
    community: str = "public",
    values: list[Any] | None = None,
    rid: int = 4242,
    bulk: tuple[int, int] = (0, 10),
) -> bytes:
    api = api_v2c if version == 1 else api_v1
    filled = values if values is not None else [api.Null("")] * len(oids)
    return encode_request(version, kind, community, rid, list(zip(oids, filled, strict=True)), bulk)


def decode(answer: bytes | Any, version: int = 1) -> tuple[int, int, int, list[tuple[tuple[int, ...], str, str]]]:
    """(request-id, error-status, error-index, [(oid, value class, pretty value)]) of a response."""
    assert isinstance(answer, bytes), answer
    api = api_v2c if version == 1 else api_v1
    msg, rest = decoder.decode(answer, asn1Spec=api.Message())
    assert rest == b"" and int(api.apiMessage.get_version(msg)) == version
    pdu = api.apiMessage.get_pdu(msg)
    binds = [(tuple(o), type(v).__name__, v.prettyPrint()) for o, v in api.apiPDU.get_varbinds(pdu)]
    return (
        int(api.apiPDU.get_request_id(pdu)),
        int(api.apiPDU.get_error_status(pdu)),
        int(api.apiPDU.get_error_index(pdu)),
        binds,
    )


def test_v2c_get_values_and_exceptions(fast: FastPath) -> None:
    """GET answers values, noSuchInstance for a known object, noSuchObject elsewhere, with the request-id."""
    answer = fast.answer(request("get", [DESCR, MISSING_INSTANCE, (1, 3, 6, 1, 7, 0)], rid=-99), PEER)
    rid, status, index, binds = decode(answer)
    assert (rid, status, index) == (-99, 0, 0)
    assert [b[1] for b in binds] == ["OctetString", "NoSuchInstance", "NoSuchObject"]
    assert binds[0][2] == "fast path test"


def test_v2c_getnext_skips_nothing_and_ends_with_end_of_mib_view(fast: FastPath) -> None:
    """v2c GETNEXT returns Counter64 objects and endOfMibView after the last one."""
    _, status, _, binds = decode(fast.answer(request("next", [OUTLET, LAST]), PEER))
    assert status == 0 and [(b[0], b[1]) for b in binds] == [(BIG, "Counter64"), (LAST, "EndOfMibView")]


def test_v2c_getbulk(fast: FastPath) -> None:
    """GETBULK with one non-repeater and max-repetitions 3 answers 1 + 3 rows."""
    answer = fast.answer(request("bulk", [DESCR, (1, 3, 6, 1, 2, 1, 1)], bulk=(1, 3)), PEER)
    _, status, _, binds = decode(answer)
    assert status == 0 and [b[0] for b in binds] == [NAME, DESCR, NAME, (1, 3, 6, 1, 2, 1, 1, 9, 1)]


def test_v1_missing_object_is_no_such_name_echoing_the_request(fast: FastPath) -> None:
    """SNMPv1 has no exceptions: noSuchName(2) at the first missing varbind, request varbinds echoed."""
    rid, status, index, binds = decode(fast.answer(request("get", [DESCR, MISSING_INSTANCE], version=0), PEER), 0)
    assert (rid, status, index) == (4242, 2, 2)
    assert [(b[0], b[1]) for b in binds] == [(DESCR, "Null"), (MISSING_INSTANCE, "Null")]


def test_v1_get_of_counter64_is_no_such_name(fast: FastPath) -> None:
    """RFC 2576 4.1.2.1: a Counter64 in a v1 GET response becomes noSuchName at its index."""
    _, status, index, _ = decode(fast.answer(request("get", [DESCR, BIG], version=0), PEER), 0)
    assert (status, index) == (2, 2)


def test_v1_getnext_skips_counter64_and_ends_with_no_such_name(fast: FastPath) -> None:
    """v1 GETNEXT steps over Counter64 objects; past the end it is noSuchName."""
    _, status, _, binds = decode(fast.answer(request("next", [OUTLET], version=0), PEER), 0)
    assert status == 0 and binds[0][0] == LAST
    _, status, index, _ = decode(fast.answer(request("next", [LAST], version=0), PEER), 0)
    assert (status, index) == (2, 1)


def test_set_access_and_errors_per_version(fast: FastPath, state: dict[str, int]) -> None:
    """ro community: noAccess (v2c) / noSuchName (v1); wrongValue (v2c) / badValue (v1); rw applies."""
    one = [rfc1902.Integer32(3)]
    assert decode(fast.answer(request("set", [OUTLET], values=one), PEER))[1:3] == (6, 1)
    assert decode(fast.answer(request("set", [OUTLET], version=0, values=[api_v1.Integer(3)]), PEER), 0)[1:3] == (2, 1)
    bad = [rfc1902.Integer32(9)]
    assert decode(fast.answer(request("set", [OUTLET], community="private", values=bad), PEER))[1:3] == (10, 1)
    v1_bad = [api_v1.Integer(9)]
    answer = fast.answer(request("set", [OUTLET], version=0, community="private", values=v1_bad), PEER)
    assert decode(answer, 0)[1:3] == (3, 1)
    assert state["outlet"] == 1
    _, status, _, binds = decode(fast.answer(request("set", [OUTLET], community="private", values=one), PEER))
    assert status == 0 and binds[0][2] == "3" and state["outlet"] == 3


def test_unknown_community_disabled_version_and_v3_are_not_answered(state: dict[str, int]) -> None:
    """Unknown community or version: DROP (no answer, as pysnmp); SNMPv3 and garbage: PYSNMP."""
    controller = DeviceController(build(state), name="fp", clock=Clock())
    fast = FastPath(controller, [CommunityConfig("public")], {"v2c", "v3"})
    assert fast.answer(request("get", [DESCR], community="nope"), PEER) is DROP
    assert fast.answer(request("get", [DESCR], version=0), PEER) is DROP
    # an SNMPv3 noAuthNoPriv GET (engine discovery shape), as pysnmp's SNMPv3Message encodes it
    v3 = bytes.fromhex("3028020103300e020101020300ffe30401040201030400301104000400a00b0201070201000201003000")
    assert fast.answer(v3, PEER) is PYSNMP
    assert fast.answer(b"\x30\x03\x02\x01", PEER) is PYSNMP
    assert isinstance(fast.answer(request("get", [DESCR]), PEER), bytes) and fast.answered == 1


def test_records_name_operation_oids_principal_and_peer(fast: FastPath, records: list[SnmpRecord]) -> None:
    """Reads of live objects and every SET are recorded as the controller records them."""
    fast.answer(request("get", [DESCR]), PEER)  # static: not recorded
    fast.answer(request("get", [OUTLET], version=0), PEER)
    fast.answer(request("set", [OUTLET], community="private", values=[rfc1902.Integer32(2)]), PEER)
    assert [(r.operation, r.oids, r.values, r.principal, r.version, r.error_status, r.peer) for r in records] == [
        ("get", ("1.3.6.1.4.1.99999.1.3.1",), (), "public", "v1", "noError", "127.25.0.9:40161"),
        ("set", ("1.3.6.1.4.1.99999.1.3.1",), ("2",), "private", "v2c", "noError", "127.25.0.9:40161"),
    ]


def test_device_bug_is_gen_err(state: dict[str, int]) -> None:
    """A getter that raises a plain exception answers genErr at its index (v2c) and genErr (v1)."""
    table = build(state)
    table.add((1, 3, 6, 1, 4, 1, 99999, 5, 0), getter=lambda: 1 / 0)
    fast = FastPath(DeviceController(table, name="fp", clock=Clock()), [CommunityConfig("public")], {"v1", "v2c"})
    assert decode(fast.answer(request("get", [DESCR, (1, 3, 6, 1, 4, 1, 99999, 5, 0)]), PEER))[1:3] == (5, 2)
    answer = fast.answer(request("get", [(1, 3, 6, 1, 4, 1, 99999, 5, 0)], version=0), PEER)
    assert decode(answer, 0)[1:3] == (5, 1)


def test_response_over_the_message_size_is_dropped(state: dict[str, int]) -> None:
    """A response larger than pysnmp's 65507-octet maximum is dropped, as the engine drops it."""
    table = build(state)
    table.add((*HUGE, 1), rfc1902.OctetString(b"x" * 40000))
    table.add((*HUGE, 2), rfc1902.OctetString(b"y" * 40000))
    fast = FastPath(DeviceController(table, name="fp", clock=Clock()), [CommunityConfig("public")], {"v2c"})
    single = fast.answer(request("get", [(*HUGE, 1)]), PEER)
    assert isinstance(single, bytes) and len(single) < MAX_MESSAGE_SIZE
    assert fast.answer(request("get", [(*HUGE, 1), (*HUGE, 2)]), PEER) is DROP


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(4)
        pos = rng.randrange(len(buf) + 1)
        if choice == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif choice == 1:
            buf.insert(pos, rng.randrange(256))
        elif choice == 2 and buf:
            del buf[min(pos, len(buf) - 1)]
        else:
            buf = buf[:pos]
    return bytes(buf)


SEEDS = [
    request("get", [DESCR, OUTLET]),
    request("next", [OUTLET], version=0),
    request("bulk", [DESCR], bulk=(0, 5)),
    request("set", [OUTLET], community="private", values=[rfc1902.Integer32(2)]),
    request("set", [OUTLET], version=0, community="private", values=[api_v1.Integer(2)]),
]


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(st.sampled_from(SEEDS), st.integers(0, 2**32))
def test_mutated_requests_never_raise(seed: bytes, salt: int) -> None:
    """Bit flips, insertions, deletions and truncations of real requests: an answer that decodes, DROP or PYSNMP."""
    fast = FastPath(
        DeviceController(build({"outlet": 1}), name="fp", clock=Clock()),
        [CommunityConfig("public"), CommunityConfig("private", "rw")],
        {"v1", "v2c"},
    )
    data = mutate(seed, random.Random(salt))
    answer = fast.answer(data, PEER)
    if isinstance(answer, bytes):
        version = answer[4]
        decode(answer, version)
    else:
        assert answer in (DROP, PYSNMP)
