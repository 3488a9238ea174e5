"""In-memory tests of the SNMP benchmark's codec, tree export, load client logic and spec generators.

No sockets: responses are encoded with pysnmp's protocol API (an independent
encoder) and fed to the benchmark's own BER reader and client protocol.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

from bench.snmp_bench import count_walk_objects, get_oids
from bench.snmp_load import GetClient
from bench.snmp_memory import memory_spec, snmp_hosts
from bench.snmp_peers import switch_spec
from bench.snmp_wire import (
    REQUEST_ID_MAX,
    REQUEST_ID_MIN,
    TAG_COUNTER64,
    TAG_END_OF_MIB_VIEW,
    TAG_NO_SUCH_INSTANCE,
    MalformedResponse,
    RequestTemplate,
    VarBind,
    decode_oid,
    encode_getbulk,
    parse_response,
    response_summary,
    snmpd_override_line,
    snmprec_line,
)
from snmp_agent.snmprec import load_snmprec_lines

P = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)


def _response(request_id: int, varbinds: list[tuple[Any, Any]], error_status: int = 0) -> bytes:
    """A v2c Response encoded by pysnmp (the independent side of these tests)."""
    pdu = P.ResponsePDU()
    P.apiPDU.set_defaults(pdu)
    P.apiPDU.set_request_id(pdu, request_id)
    P.apiPDU.set_error_status(pdu, error_status)
    P.apiPDU.set_varbinds(pdu, varbinds)
    message = P.Message()
    P.apiMessage.set_defaults(message)
    P.apiMessage.set_community(message, "public")
    P.apiMessage.set_pdu(message, pdu)
    encoded: bytes = encoder.encode(message)
    return encoded


VALUES: list[tuple[tuple[int, ...], Any]] = [
    ((1, 3, 6, 1, 2, 1, 1, 1, 0), rfc1902.OctetString(b"Arista EOS")),
    ((1, 3, 6, 1, 2, 1, 1, 2, 0), rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 30065, 1))),
    ((1, 3, 6, 1, 2, 1, 1, 3, 0), rfc1902.TimeTicks(123456)),
    ((1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 1), rfc1902.OctetString(hexValue="001c73aabb01")),
    ((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 1), rfc1902.Integer32(-2)),
    ((1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1), rfc1902.Counter32(4294967295)),
    ((1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1), rfc1902.Gauge32(1000000000)),
    ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 10), rfc1902.IpAddress("127.18.0.3")),
    ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), rfc1902.Counter64(2**40 + 7)),
    ((1, 3, 6, 1, 2, 1, 1, 4, 0), rfc1902.OctetString(b"")),
    ((1, 3, 6, 1, 2, 1, 1, 5, 0), rfc1902.OctetString(b" padded ")),
]


def test_template_renders_decodable_requests_with_the_given_request_id() -> None:
    template = RequestTemplate("public", [SYS_DESCR])
    for request_id in (REQUEST_ID_MIN, 0x12345678, REQUEST_ID_MAX):
        message, rest = decoder.decode(template.render(request_id), asn1Spec=P.Message())
        assert rest == b""
        assert str(P.apiMessage.get_community(message)) == "public"
        pdu = P.apiMessage.get_pdu(message)
        assert int(P.apiPDU.get_request_id(pdu)) == request_id
        assert [tuple(oid) for oid, _ in P.apiPDU.get_varbinds(pdu)] == [SYS_DESCR]
    with pytest.raises(ValueError):
        template.render(REQUEST_ID_MIN - 1)


def test_getbulk_request_carries_max_repetitions() -> None:
    message, _ = decoder.decode(encode_getbulk("public", (1, 0), 0x2000000, 25), asn1Spec=P.Message())
    pdu = P.apiMessage.get_pdu(message)
    assert int(P.apiBulkPDU.get_max_repetitions(pdu)) == 25
    assert int(P.apiBulkPDU.get_non_repeaters(pdu)) == 0


def test_parse_response_reads_every_value_type_and_exceptions() -> None:
    varbinds = [*VALUES, ((1, 3, 6, 1, 9, 9), P.NoSuchInstance("")), ((1, 3, 6, 1, 9, 10), P.EndOfMibView(""))]
    response = parse_response(_response(0x1234567, varbinds))
    assert response.request_id == 0x1234567 and response.error_status == 0
    assert [vb.oid for vb in response.varbinds] == [oid for oid, _ in varbinds]
    assert [vb.is_exception for vb in response.varbinds] == [False] * len(VALUES) + [True, True]
    assert response.varbinds[-2].tag == TAG_NO_SUCH_INSTANCE and response.varbinds[-1].tag == TAG_END_OF_MIB_VIEW
    assert response.varbinds[8].tag == TAG_COUNTER64
    assert decode_oid(response.varbinds[1].raw) == (1, 3, 6, 1, 4, 1, 30065, 1)
    assert response_summary(_response(0x1234567, varbinds, error_status=5)) == (0x1234567, 5, 2)


@pytest.mark.parametrize(
    "datagram",
    [b"", b"\x30", b"\x30\x05\x02\x01\x01", b"\x04\x03abc", b"\x30\x84\xff\xff\xff\xff"],
)
def test_malformed_datagrams_raise(datagram: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_response(datagram)
    with pytest.raises(MalformedResponse):
        response_summary(datagram)


def test_truncated_response_raises() -> None:
    good = _response(0x1234567, VALUES)
    for cut in (5, len(good) // 2, len(good) - 1):
        with pytest.raises(MalformedResponse):
            parse_response(good[:cut])


def test_snmprec_export_round_trips_through_the_snmprec_loader() -> None:
    response = parse_response(_response(0x1234567, VALUES))
    lines = [line for vb in response.varbinds if (line := snmprec_line(vb)) is not None]
    assert "1.3.6.1.2.1.2.2.1.6.1|4x|001c73aabb01" in lines
    assert "1.3.6.1.2.1.1.5.0|4x|2070616464656420" in lines  # surrounding spaces survive as hex
    table = load_snmprec_lines(lines)
    for oid, value in VALUES:
        loaded = table.get(oid)
        assert loaded is not None, oid
        assert loaded.asOctets() == value.asOctets() if isinstance(value, rfc1902.OctetString) else loaded == value
    assert snmprec_line(VarBind((1, 3), TAG_END_OF_MIB_VIEW, b"")) is None


def test_snmpd_override_lines_and_the_types_it_cannot_store() -> None:
    response = parse_response(_response(0x1234567, VALUES))
    lines = {vb.oid: snmpd_override_line(vb) for vb in response.varbinds}
    assert lines[(1, 3, 6, 1, 2, 1, 1, 1, 0)] == ("override .1.3.6.1.2.1.1.1.0 octet_str 0x41726973746120454f53", False)
    assert lines[(1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 1)] == ("override .1.3.6.1.2.1.2.2.1.8.1 integer -2", False)
    assert lines[(1, 3, 6, 1, 2, 1, 1, 4, 0)] == ('override .1.3.6.1.2.1.1.4.0 octet_str ""', False)
    assert lines[(1, 3, 6, 1, 2, 1, 1, 3, 0)] == ("override .1.3.6.1.2.1.1.3.0 timeticks 123456", False)
    assert lines[(1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1)] == ("override .1.3.6.1.2.1.2.2.1.5.1 uinteger 1000000000", False)
    assert lines[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)] == ("override .1.3.6.1.2.1.31.1.1.1.6.1 counter 7", True)
    assert lines[(1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 10)] == (
        "override .1.3.6.1.2.1.4.20.1.1.10 octet_str 0x7f120003",
        True,
    )


class _Transport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def sendto(self, data: bytes) -> None:
        self.sent.append(data)


def _request_id(datagram: bytes) -> int:
    message, _ = decoder.decode(datagram, asn1Spec=P.Message())
    return int(P.apiPDU.get_request_id(P.apiMessage.get_pdu(message)))


def test_get_client_counts_answers_errors_strays_and_timeouts() -> None:
    async def scenario() -> GetClient:
        client = GetClient([RequestTemplate("public", [SYS_DESCR])], REQUEST_ID_MIN + 4096)
        transport = _Transport()
        client.connection_made(transport)  # type: ignore[arg-type]
        client.start_ns, client.end_ns = 0, 2**62
        client.send_next(1)
        first = _request_id(transport.sent[-1])
        client.datagram_received(_response(first + 999, VALUES[:1]), None)  # answers another request
        client.datagram_received(b"\x30\x00garbage", None)
        client.datagram_received(_response(first, VALUES[:1]), None)  # good: the next request goes out
        second = _request_id(transport.sent[-1])
        assert second == first + 1
        client.datagram_received(_response(second, [(SYS_DESCR, P.NoSuchObject(""))]), None)
        third = _request_id(transport.sent[-1])
        client.expire(client.sent_ns + 10, timeout_ns=1_000_000_000)  # not yet old
        assert len(transport.sent) == 3
        client.expire(client.sent_ns + 2_000_000_000, timeout_ns=1_000_000_000)
        assert _request_id(transport.sent[-1]) == third + 1
        client.end_ns = 0  # the window closes: the next answer finishes the client
        client.datagram_received(_response(third + 1, VALUES[:1]), None)
        assert client.done.done() and len(transport.sent) == 4
        return client

    stats = asyncio.run(scenario()).stats
    assert len(stats.latencies_ns) == 2 and all(v > 0 for v in stats.latencies_ns)
    assert (stats.errors, stats.timeouts, stats.strays, stats.malformed) == (1, 1, 1, 1)


def test_count_walk_objects_skips_the_end_of_view_line() -> None:
    output = (
        ".1.3.6.1.2.1.1.1.0 = STRING: x\n.1.3.6.1.2.1.1.5.0 = STRING: two\nlines\n"
        ".1.3.6.1.2.1.1.5.0 = No more variables left in this MIB View (It is past the end of the MIB tree)\n"
    )
    assert count_walk_objects(output) == 2


def test_get_oids_use_the_first_interface_of_the_tree() -> None:
    tree = [
        VarBind((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 7), 2, b"\x07"),
        VarBind((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 7), 2, b"\x01"),
        VarBind((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 9), 2, b"\x01"),
    ]
    assert get_oids(tree) == ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.2.2.1.8.7", "1.3.6.1.2.1.2.2.1.10.7"]


def test_generated_specs_are_valid_racks(tmp_path: Path) -> None:
    from vrack.plan import build_plan
    from vrack.spec import load_spec

    full = tmp_path / "full.yaml"
    full.write_text(memory_spec("bench-snmp-mem-full", 40, 80), encoding="utf-8")
    plan = build_plan(load_spec(full))
    assert len(plan.nodes) == 1 and len(plan.switches) == 40 and len(plan.pdus) == 80
    assert {p.spec.model for p in plan.pdus} == {"servertech-sentry3", "apc-powernet", "sinetica-hawk-i2"}
    assert {p.spec.outlets for p in plan.pdus} == {24}  # type: ignore[union-attr]
    assert {s.spec.ports for s in plan.switches} == {48}  # type: ignore[union-attr]
    hosts = snmp_hosts(full)
    assert len(set(hosts)) == 120 and all(h.startswith("127.18.") for h in hosts)

    switch = tmp_path / "switch.yaml"
    switch.write_text(switch_spec("127.18.0.3", "127.18.1.0/24"), encoding="utf-8")
    plan = build_plan(load_spec(switch))
    assert [str(s.address) for s in plan.switches] == ["127.18.0.3"]
    assert len(plan.cables) == 4 and all(n.spec.power_on for n in plan.nodes)
