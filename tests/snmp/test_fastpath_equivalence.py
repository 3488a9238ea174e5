"""Property tests: the fast path and the pysnmp engine path give the same answers, records and device calls.

Two agents serve identical tables with every value type on 127.25.2.1 (fast path) and 127.25.2.2
(``fast_path=False``: every datagram through pysnmp).  Hypothesis draws GET / GETNEXT / GETBULK / SET
requests (v1 and v2c, both communities, any request-id, OIDs on, between and beyond the table's
objects); one client socket sends each to both agents, and the decoded answers (request-id,
error-status, error-index, varbinds with their types), the journal records and what the device's
setters received must be equal.  Requests are encoded with pysnmp's protocol API and answers decoded
with pyasn1, never with snmp_agent.ber.  Last, mutated datagrams are fed straight into both endpoints'
datagram handlers: nothing may raise, and both agents still answer afterwards.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v1 as api_v1
from pysnmp.proto.api import v2c as api_v2c

from snmp_agent import CommunityConfig, SnmpAgent, SnmpRecord
from snmp_agent.source import MibTable, WrongLength, WrongType, WrongValue
from snmp_agent.testing import AgentLoop
from tests.support.snmp_messages import encode_request

pytestmark = pytest.mark.e2e

FAST_ADDR = "127.25.2.1"
SLOW_ADDR = "127.25.2.2"
CLIENT_ADDR = "127.25.2.10"
ENT = (1, 3, 6, 1, 4, 1, 99999)
COMMUNITIES = [CommunityConfig("public", "ro"), CommunityConfig("private", "rw")]

STATIC: list[Any] = [
    rfc1902.Integer32(0),
    rfc1902.Integer32(-1),
    rfc1902.Integer32(-128),
    rfc1902.Integer32(2**31 - 1),
    rfc1902.Integer32(-(2**31)),
    rfc1902.OctetString(b""),
    rfc1902.OctetString(b"vrack"),
    rfc1902.OctetString(bytes(range(256))),
    rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 99999, 2**32 - 1)),
    rfc1902.IpAddress("192.0.2.7"),
    rfc1902.Counter32(2**32 - 1),
    rfc1902.Gauge32(1234567),
    rfc1902.Unsigned32(7),
    rfc1902.TimeTicks(99),
    rfc1902.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00"),
    rfc1902.Counter64(2**64 - 1),
    rfc1902.Counter64(3),
    rfc1902.Bits(b"\xa0"),
]


def every_type_table(state: dict[str, Any]) -> MibTable:
    """Static values of every type, sparse columns, live getters (one counts its reads) and writable objects."""
    table = MibTable()
    for n, value in enumerate(STATIC, start=1):
        table.add((*ENT, 1, n, 0), value)
    for row in (1, 3, 7, 200):  # a sparse column: GET on rows 2, 4.. is noSuchInstance
        table.add((*ENT, 2, 1, row), rfc1902.OctetString(f"row-{row}"))
        table.add((*ENT, 2, 2, row), rfc1902.Counter64(row * 2**33))
    table.add(
        (*ENT, 3, 1, 0),
        getter=lambda: rfc1902.Counter32(state["reads"].__setitem__(0, state["reads"][0] + 1) or state["reads"][0]),
    )
    table.add((*ENT, 3, 2, 0), getter=lambda: rfc1902.Gauge32(state["level"]), live=True)

    def check_level(value: Any) -> None:
        if not isinstance(value, rfc1902.Integer32):
            raise WrongType("Integer32 expected")
        if not 1 <= int(value) <= 3:
            raise WrongValue("1..3")

    def check_label(value: Any) -> None:
        if not isinstance(value, rfc1902.OctetString) or isinstance(value, rfc1902.IpAddress):
            raise WrongType("OCTET STRING expected")
        if len(value) > 8:
            raise WrongLength("at most 8 octets")

    def setter(key: str) -> Any:
        def apply(value: Any) -> None:
            state["applied"].append((key, type(value).__name__, value.prettyPrint()))
            state[key] = int(value) if key == "level" else value

        return apply

    table.add(
        (*ENT, 4, 1, 0), getter=lambda: rfc1902.Integer32(state["level"]), setter=setter("level"), checker=check_level
    )
    table.add(
        (*ENT, 4, 2, 0), getter=lambda: rfc1902.OctetString(state["label"]), setter=setter("label"), checker=check_label
    )
    table.add((*ENT, 4, 3, 0), getter=lambda: rfc1902.OctetString(b"secret"), setter=setter("secret"), secret=True)
    table.add((*ENT, 4, 4, 0), getter=lambda: rfc1902.Integer32(1), setter=setter("any"))
    return table


def new_state() -> dict[str, Any]:
    return {"reads": [0], "level": 2, "label": b"a", "applied": []}


TABLE_OIDS = every_type_table(new_state()).oids()


class Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.answers.put_nowait(data)


class Rig:
    """Both agents, their records and states, and one client socket on ``CLIENT_ADDR``."""

    def __init__(self) -> None:
        self.env = AgentLoop()
        self.states = {"fast": new_state(), "slow": new_state()}
        self.records: dict[str, list[SnmpRecord]] = {"fast": [], "slow": []}
        self.fast = self.env.agent(
            every_type_table(self.states["fast"]), address=FAST_ADDR, name="dev", communities=COMMUNITIES,
            observer=self.records["fast"].append,
        )  # fmt: skip
        self.slow = self.env.agent(
            every_type_table(self.states["slow"]), address=SLOW_ADDR, name="dev", communities=COMMUNITIES,
            observer=self.records["slow"].append, fast_path=False,
        )  # fmt: skip
        self.transport, self.client = self.env.run(
            self.env.loop.create_datagram_endpoint(Client, local_addr=(CLIENT_ADDR, 0))
        )
        self.client_address: tuple[str, int] = self.transport.get_extra_info("sockname")

    def ask(self, agent: SnmpAgent, data: bytes, timeout: float = 3.0) -> bytes:
        """Send ``data`` to ``agent`` and return the answer with the same request-id (late answers are skipped)."""
        rid = request_id(data)

        async def exchange() -> bytes:
            self.transport.sendto(data, (agent.address, agent.port))
            while True:
                answer = await self.client.answers.get()
                if request_id(answer) == rid:
                    return answer

        return self.env.run(asyncio.wait_for(exchange(), timeout), timeout + 2)

    def close(self) -> None:
        self.transport.close()
        self.env.close()


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    r = Rig()
    yield r
    r.close()


def request_id(message: bytes) -> int | None:
    try:
        msg, _ = decoder.decode(message, asn1Spec=api_v2c.Message())
        return int(api_v2c.apiPDU.get_request_id(api_v2c.apiMessage.get_pdu(msg)))
    except Exception:
        return None


def decoded(answer: bytes) -> tuple[Any, ...]:
    """Everything a manager sees in an answer, decoded by pyasn1."""
    version = int(decoder.decode(answer, asn1Spec=api_v2c.Message())[0]["version"])
    api = api_v2c if version == 1 else api_v1
    msg, rest = decoder.decode(answer, asn1Spec=api.Message())
    pdu = api.apiMessage.get_pdu(msg)
    return (
        rest,
        version,
        bytes(api.apiMessage.get_community(msg)),
        pdu.tagSet,
        int(api.apiPDU.get_request_id(pdu)),
        int(api.apiPDU.get_error_status(pdu)),
        int(api.apiPDU.get_error_index(pdu)),
        [(tuple(o), v.tagSet, v.prettyPrint()) for o, v in api.apiPDU.get_varbinds(pdu)],
    )


STATS = {"fast": 0, "all": 0}


def overlong_integer(message: bytes) -> bool:
    """True when pyasn1 wrote an INTEGER-like value with a redundant leading ff octet (-128, -2**31, ...)."""
    msg, _ = decoder.decode(message, asn1Spec=api_v2c.Message())
    for _, value in api_v2c.apiPDU.get_varbinds(api_v2c.apiMessage.get_pdu(msg)):
        if value.tagSet in (api_v2c.Integer.tagSet,) and int(value) < 0:
            raw = encoder.encode(value)
            if len(raw) > 3 and raw[2] == 0xFF and raw[3] >= 0x80:
                return True
    return int(api_v2c.apiPDU.get_request_id(api_v2c.apiMessage.get_pdu(msg))) in (-128, -(2**31))


def check_same(rig: Rig, data: bytes) -> tuple[Any, ...]:
    """Ask both agents; the decoded answers, new records and device calls must be equal."""
    fast_before, slow_before = rig.fast.stats.fast_answered, rig.slow.stats.answered
    answers = {"fast": rig.ask(rig.fast, data), "slow": rig.ask(rig.slow, data)}
    # pysnmp clients write -128 as ff 80, an over-long INTEGER the strict codec leaves to the engine
    fast_path = rig.fast.stats.fast_answered - fast_before
    assert fast_path == (0 if overlong_integer(data) else 1)
    assert rig.slow.stats.answered == slow_before + 1 and rig.slow.stats.fast_answered == 0
    STATS["fast"] += fast_path
    STATS["all"] += 1
    fast, slow = decoded(answers["fast"]), decoded(answers["slow"])
    assert fast == slow
    assert rig.records["fast"] == rig.records["slow"]
    assert rig.states["fast"] == rig.states["slow"]
    for name in ("fast", "slow"):
        rig.records[name].clear()
    return fast


def near(oid: tuple[int, ...], tweak: int, cut: int) -> tuple[int, ...]:
    """An OID around a table OID: itself, a prefix, or with its last arc moved or an arc appended."""
    if cut and len(oid) - cut >= 2:
        return oid[: len(oid) - cut]
    if tweak < 0:
        return (*oid[:-1], max(oid[-1] + tweak, 0))
    return (*oid, tweak) if tweak else oid


OIDS = st.one_of(
    st.builds(near, st.sampled_from(TABLE_OIDS), st.integers(-2, 3), st.integers(0, 6)),
    st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=6).map(lambda tail: (1, 3, 6, 1, *tail)),
    st.sampled_from([(1, 3), (0, 0), (2, 999), (1, 3, 6, 1, 4, 1, 99999), (1, 3, 6, 1, 4, 1, 99999, 99)]),
)


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    version=st.sampled_from([0, 1]),
    kind=st.sampled_from(["get", "next", "bulk"]),
    community=st.sampled_from(["public", "private"]),
    rid=st.integers(-(2**31), 2**31 - 1),
    oids=st.lists(OIDS, max_size=6),
    bulk=st.tuples(st.integers(0, 4), st.integers(0, 40)),
)
def reads_alike(
    rig: Rig, version: int, kind: str, community: str, rid: int, oids: list[tuple[int, ...]], bulk: tuple[int, int]
) -> None:
    if kind == "bulk" and version == 0:
        kind = "next"
    null = (api_v2c if version == 1 else api_v1).Null("")
    data = encode_request(version, kind, community, rid, [(o, null) for o in oids], bulk)
    check_same(rig, data)


def test_reads_answer_alike(rig: Rig) -> None:
    """200 random GET / GETNEXT / GETBULK (v2c) requests: the same decoded answers and records from both
    paths, nearly all of them through the fast path."""
    before = dict(STATS)
    reads_alike(rig)
    assert STATS["all"] - before["all"] >= 200
    assert STATS["fast"] - before["fast"] >= 0.9 * (STATS["all"] - before["all"])


WRITABLE = [(*ENT, 4, n, 0) for n in range(1, 5)]
SET_OIDS = st.one_of(
    st.sampled_from(WRITABLE),
    st.sampled_from(WRITABLE[2:]),  # these two take any value: most SETs of the rw community apply
    st.sampled_from(TABLE_OIDS),
    st.just((*ENT, 2, 1, 2)),
    st.just((*ENT, 9, 0)),
)


def set_value(version: int) -> st.SearchStrategy[Any]:
    api = api_v2c if version == 1 else api_v1
    common = [
        st.integers(-(2**31), 2**31 - 1).map(api.Integer),
        st.binary(max_size=12).map(api.OctetString),
        st.integers(0, 2**32 - 1).map(api.Counter if version == 0 else api.Counter32),
        st.integers(0, 2**32 - 1).map(api.Gauge if version == 0 else api.Gauge32),
        st.integers(0, 2**32 - 1).map(api.TimeTicks),
        st.binary(min_size=4, max_size=4).map(api.IpAddress),
        st.lists(st.integers(0, 2**20), max_size=4).map(lambda t: api.ObjectIdentifier((1, 3, *t))),
        st.binary(max_size=4).map(api.Opaque),
    ]
    if version == 1:
        common.append(st.integers(0, 2**64 - 1).map(api.Counter64))
    return st.one_of(*common)


@settings(
    max_examples=120,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), version=st.sampled_from([0, 1]), community=st.sampled_from(["public", "private", "private"]))
def sets_alike(rig: Rig, data: st.DataObject, version: int, community: str) -> None:
    count = data.draw(st.integers(1, 3))
    varbinds = [(data.draw(SET_OIDS), data.draw(set_value(version))) for _ in range(count)]
    request = encode_request(version, "set", community, data.draw(st.integers(0, 2**31 - 1)), varbinds, (0, 0))
    check_same(rig, request)


def test_sets_answer_alike(rig: Rig) -> None:
    """120 random SETs (every value type, writable or not, ro and rw): the same answers, records (secrets
    redacted) and values handed to the device's setters from both paths."""
    before = dict(STATS)
    sets_alike(rig)
    assert STATS["all"] - before["all"] >= 120
    assert STATS["fast"] - before["fast"] >= 0.8 * (STATS["all"] - before["all"])
    assert rig.states["fast"]["applied"], "no SET was ever applied"


def test_the_property_rig_sees_differences(rig: Rig) -> None:
    """The comparison is not vacuous: both paths answer, and a different request gives a different answer."""
    get = encode_request(1, "get", "public", 1, [((*ENT, 1, 7, 0), api_v2c.Null(""))], (0, 0))
    first = check_same(rig, get)
    assert first[7][0][2] == "vrack" and first[5] == 0
    other = encode_request(1, "get", "public", 1, [((*ENT, 1, 8, 0), api_v2c.Null(""))], (0, 0))
    assert check_same(rig, other) != first
    assert rig.states["fast"]["reads"] == rig.states["slow"]["reads"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(len(buf) + 1)
        choice = rng.randrange(4)
        if choice == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            buf[pos:pos] = bytes([rng.randrange(256)])
        elif choice == 2 and buf:
            del buf[min(pos, len(buf) - 1)]
        else:
            del buf[pos:]
    return bytes(buf)


def test_malformed_input_never_escapes_the_datagram_handler(rig: Rig) -> None:
    """3,000 mutated requests and random byte strings go straight into both endpoints' handlers without an
    exception; every one is counted as received, and both agents still answer a GET afterwards."""
    rng = random.Random(20261124)
    seeds = [
        encode_request(1, "get", "public", 5, [((*ENT, 1, n, 0), api_v2c.Null("")) for n in (1, 8)], (0, 0)),
        encode_request(0, "next", "public", 6, [((*ENT, 2, 1), api_v1.Null(""))], (0, 0)),
        encode_request(1, "bulk", "public", 7, [((*ENT, 2), api_v2c.Null(""))], (1, 5)),
        encode_request(1, "set", "private", 8, [((*ENT, 4, 1, 0), rfc1902.Integer32(2))], (0, 0)),
    ]
    inputs = [mutate(rng.choice(seeds), rng) for _ in range(2500)]
    inputs += [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 80))) for _ in range(500)]
    for agent in (rig.fast, rig.slow):
        endpoint = agent.endpoint
        assert endpoint is not None
        before = agent.stats.received
        for datagram in inputs:
            endpoint.datagram_received(datagram, rig.client_address)
        assert agent.stats.received == before + len(inputs)
        assert agent.stats.malformed > 0
    assert rig.states["fast"] == rig.states["slow"]  # mutated requests that are still valid acted alike
    assert rig.records["fast"] == rig.records["slow"]
    for agent in (rig.fast, rig.slow):
        get = encode_request(1, "get", "public", 9, [((*ENT, 1, 7, 0), api_v2c.Null(""))], (0, 0))
        assert decoded(rig.ask(agent, get))[7][0][2] == "vrack"


def test_fast_path_off_for_v3_and_unusual_encodings(rig: Rig) -> None:
    """A request the strict codec rejects (over-long length) still gets pysnmp's answer on the fast agent."""
    get = encode_request(1, "get", "public", 11, [((*ENT, 1, 7, 0), api_v2c.Null(""))], (0, 0))
    overlong = b"\x30\x81" + get[1:]  # the same message with a long-form length for a short length
    before = (rig.fast.stats.answered, rig.fast.stats.fast_answered)
    answer = rig.ask(rig.fast, overlong)
    assert decoded(answer)[7][0][2] == "vrack"
    assert (rig.fast.stats.answered, rig.fast.stats.fast_answered) == (before[0] + 1, before[1])


def test_unknown_community_is_dropped_by_both_paths(rig: Rig) -> None:
    """No answer from either path for an unknown community; both count the datagram as dropped."""
    data = encode_request(1, "get", "nope", 12, [((*ENT, 1, 7, 0), api_v2c.Null(""))], (0, 0))
    for agent in (rig.fast, rig.slow):
        dropped = agent.stats.dropped
        with pytest.raises(TimeoutError):
            rig.ask(agent, data, timeout=0.3)
        assert agent.stats.dropped == dropped + 1


def test_client_socket_is_on_loopback(rig: Rig) -> None:
    """The rig only talks inside 127.25.0.0/16."""
    assert rig.client_address[0] == CLIENT_ADDR
    assert socket.inet_aton(rig.fast.address)[:2] == socket.inet_aton(rig.slow.address)[:2] == bytes((127, 25))
