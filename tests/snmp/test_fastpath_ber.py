"""In-memory tests of snmp_agent.ber: requests decode like pyasn1 decodes them, responses encode to pyasn1's bytes,
and everything outside the strict subset raises BerError (no sockets)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v1 as api_v1
from pysnmp.proto.api import v2c as api_v2c

from snmp_agent import ber

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + ber.encode_length(len(content)) + content


def message(pdu: bytes, version: int = 1, community: bytes = b"public") -> bytes:
    return tlv(0x30, tlv(2, bytes((version,))) + tlv(4, community) + pdu)


def pdu(
    tag: int, rid: bytes = b"\x01", second: bytes = b"\x00", third: bytes = b"\x00", vbs: bytes | None = None
) -> bytes:
    if vbs is None:
        vbs = tlv(0x30, tlv(6, b"\x2b\x06\x01\x02\x01\x01\x01\x00") + b"\x05\x00")
    return tlv(tag, tlv(2, rid) + tlv(2, second) + tlv(2, third) + tlv(0x30, vbs))


def pysnmp_request(pdu_class: Any, varbinds: list[tuple[Any, Any]], version: int = 1, rid: int = 77) -> bytes:
    api = api_v2c if version == 1 else api_v1
    request = pdu_class()
    api.apiPDU.set_defaults(request)
    api.apiPDU.set_request_id(request, rid)
    api.apiPDU.set_varbinds(request, varbinds)
    msg = api.Message()
    api.apiMessage.set_defaults(msg)
    api.apiMessage.set_community(msg, "public")
    api.apiMessage.set_pdu(msg, request)
    return bytes(encoder.encode(msg))


EVERY_TYPE: list[Any] = [
    rfc1902.Integer32(0),
    rfc1902.Integer32(-1),
    rfc1902.Integer32(127),
    rfc1902.Integer32(128),
    rfc1902.Integer32(-128),
    rfc1902.Integer32(-129),
    rfc1902.Integer32(2**31 - 1),
    rfc1902.Integer32(-(2**31)),
    rfc1902.Integer(5),
    rfc1902.OctetString(b""),
    rfc1902.OctetString(b"x" * 127),
    rfc1902.OctetString(b"y" * 128),
    rfc1902.OctetString(bytes(range(256)) * 2),
    rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 99999, 2**32, 0)),
    rfc1902.ObjectIdentifier((2, 999, 3)),
    rfc1902.IpAddress("10.0.0.255"),
    rfc1902.Counter32(0),
    rfc1902.Counter32(2**32 - 1),
    rfc1902.Gauge32(2**31),
    rfc1902.Unsigned32(42),
    rfc1902.TimeTicks(123456789),
    rfc1902.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00"),
    rfc1902.Counter64(0),
    rfc1902.Counter64(2**64 - 1),
    rfc1902.Bits(b"\x80\x01"),
    rfc1905.noSuchObject,
    rfc1905.noSuchInstance,
    rfc1905.endOfMibView,
    univ.Null(""),
]


#: pyasn1 writes -2**(8k-1) with one octet too many (ff 80 for -128); ber writes the minimal form X.690 asks for.
PYASN1_OVERLONG = {-128, -(2**31)}


@pytest.mark.parametrize("value", EVERY_TYPE, ids=lambda v: f"{type(v).__name__}")
def test_encode_value_matches_pyasn1(value: Any) -> None:
    """Every value type (short and long lengths, sign edges, Counter64 maximum) encodes to pyasn1's bytes,
    except pyasn1's over-long negative powers of two, which decode to the same value."""
    mine = ber.encode_value(value)
    decoded, rest = decoder.decode(mine, asn1Spec=type(value)())
    assert rest == b"" and decoded == value and decoded.tagSet == value.tagSet
    if isinstance(value, univ.Integer) and int(value) in PYASN1_OVERLONG:
        assert len(mine) == len(encoder.encode(value)) - 1
    else:
        assert mine == bytes(encoder.encode(value))


def test_encode_response_matches_pysnmp_message() -> None:
    """A whole Response message with every value type is the message pysnmp's API would encode."""
    varbinds = [((1, 3, 6, 1, 4, 1, 99999, n), value) for n, value in enumerate(EVERY_TYPE)]
    response = api_v2c.ResponsePDU()
    api_v2c.apiPDU.set_defaults(response)
    api_v2c.apiPDU.set_request_id(response, -12345)
    api_v2c.apiPDU.set_error_status(response, 5)
    api_v2c.apiPDU.set_error_index(response, 3)
    api_v2c.apiPDU.set_varbinds(response, varbinds)
    msg = api_v2c.Message()
    api_v2c.apiMessage.set_defaults(msg)
    api_v2c.apiMessage.set_community(msg, b"c" * 200)
    api_v2c.apiMessage.set_pdu(msg, response)
    mine = ber.encode_response(1, b"c" * 200, -12345, 5, 3, varbinds)
    assert decoder.decode(mine, asn1Spec=api_v2c.Message())[0] == msg
    same_bytes = [(o, v) for o, v in varbinds if not (isinstance(v, univ.Integer) and int(v) in PYASN1_OVERLONG)]
    api_v2c.apiPDU.set_varbinds(response, same_bytes)
    assert ber.encode_response(1, b"c" * 200, -12345, 5, 3, same_bytes) == bytes(encoder.encode(msg))


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.integers(min_value=-(2**63), max_value=2**64 - 1))
def test_integer_content_is_minimal_twos_complement(number: int) -> None:
    """Any integer SNMP can carry encodes minimally (X.690 8.3.2) and pyasn1 decodes it back."""
    encoded = ber.encode_integer(2, number)
    content = encoded[2:]
    assert encoded[1] == len(content)
    if len(content) > 1:
        assert not (content[0] == 0 and content[1] < 0x80) and not (content[0] == 0xFF and content[1] >= 0x80)
    assert int(decoder.decode(encoded, asn1Spec=univ.Integer())[0]) == number
    if number not in PYASN1_OVERLONG and not (number < 0 and (-number) & (-number - 1) == 0 and number < -1):
        assert encoded == bytes(encoder.encode(univ.Integer(number)))


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(
    st.tuples(st.integers(0, 2), st.integers(0, 39)),
    st.lists(st.integers(0, 2**40), max_size=20),
)
def test_oid_round_trip_matches_pyasn1(head: tuple[int, int], tail: list[int]) -> None:
    """OIDs (any arc size) encode to pyasn1's bytes and decode back."""
    oid = (*head, *tail)
    encoded = ber.encode_oid(oid)
    assert encoded == bytes(encoder.encode(univ.ObjectIdentifier(oid)))
    assert ber.decode_oid(encoded[2:] if encoded[1] < 0x80 else encoded[2 + (encoded[1] & 0x7F) :]) == oid


def test_decode_get_request_from_pysnmp() -> None:
    """A pysnmp-encoded v2c GET decodes to version, community, PDU type, request-id and NULL varbinds."""
    data = pysnmp_request(api_v2c.GetRequestPDU, [(SYS_DESCR, api_v2c.Null(""))], rid=-5)
    request = ber.decode_request(data)
    assert (request.version, request.community, request.pdu_type, request.request_id) == (1, b"public", 0xA0, -5)
    assert [(oid, type(value).__name__) for oid, value in request.varbinds] == [(SYS_DESCR, "Null")]


def test_decode_set_values_as_pysnmp_classes() -> None:
    """SET values decode to the classes pysnmp's decoder gives (v2c) or maps v1 values to."""
    values = [
        rfc1902.Integer32(-7),
        rfc1902.OctetString(b"abc"),
        rfc1902.ObjectIdentifier("1.3.6.1"),
        rfc1902.IpAddress("1.2.3.4"),
        rfc1902.Counter32(9),
        rfc1902.Gauge32(8),
        rfc1902.TimeTicks(7),
        rfc1902.Opaque(b"o"),
        rfc1902.Counter64(2**40),
    ]
    oids = [(1, 3, 6, 1, 4, 1, 9, n) for n in range(len(values))]
    data = pysnmp_request(api_v2c.SetRequestPDU, list(zip(oids, values, strict=True)))
    reference = api_v2c.apiPDU.get_varbinds(
        api_v2c.apiMessage.get_pdu(decoder.decode(data, asn1Spec=api_v2c.Message())[0])
    )
    decoded = ber.decode_request(data).varbinds
    assert [(type(v), v.prettyPrint()) for _, v in decoded] == [(type(v), v.prettyPrint()) for _, v in reference]
    v1_values = [api_v1.Integer(3), api_v1.OctetString(b"x"), api_v1.Counter(4), api_v1.Gauge(5)]
    data = pysnmp_request(api_v1.SetRequestPDU, list(zip(oids, v1_values, strict=False)), version=0)
    decoded = ber.decode_request(data).varbinds
    assert [type(v) for _, v in decoded] == [rfc1902.Integer32, rfc1902.OctetString, rfc1902.Counter32, rfc1902.Gauge32]


def test_decode_getbulk_fields() -> None:
    """GETBULK carries non-repeaters and max-repetitions in the error fields' places."""
    data = message(pdu(0xA5, b"\x09", b"\x01", b"\x0a"))
    request = ber.decode_request(data)
    assert (request.pdu_type, request.non_repeaters, request.max_repetitions) == (0xA5, 1, 10)


GOOD = message(pdu(0xA0))
REJECTED = {
    "indefinite length": b"\x30\x80" + GOOD[2:] + b"\x00\x00",
    "trailing garbage": GOOD + b"\x00",
    "over-long message length": b"\x30\x81" + GOOD[1:],
    "over-long request-id": message(pdu(0xA0, rid=b"\x00\x01")),
    "empty request-id": message(pdu(0xA0, rid=b"")),
    "request-id beyond Integer32": message(pdu(0xA0, rid=b"\x00\x80\x00\x00\x00")),
    "negative error-index": message(pdu(0xA0, third=b"\xff")),
    "negative non-repeaters": message(pdu(0xA5, second=b"\xff")),
    "SNMPv3 version": message(pdu(0xA0), version=3),
    "version 2": message(pdu(0xA0), version=2),
    "GETBULK in SNMPv1": message(pdu(0xA5), version=0),
    "Response PDU": message(pdu(0xA2)),
    "trap PDU": message(pdu(0xA7)),
    "Counter64 in SNMPv1": message(pdu(0xA3, vbs=tlv(0x30, tlv(6, b"\x2b\x06") + tlv(0x46, b"\x01"))), version=0),
    "exception value in SNMPv1": message(pdu(0xA0, vbs=tlv(0x30, tlv(6, b"\x2b\x06") + b"\x80\x00")), version=0),
    "IpAddress of 5 octets": message(pdu(0xA3, vbs=tlv(0x30, tlv(6, b"\x2b\x06") + tlv(0x40, b"\x01" * 5)))),
    "Counter32 beyond 2^32-1": message(
        pdu(0xA3, vbs=tlv(0x30, tlv(6, b"\x2b\x06") + tlv(0x41, b"\x01" + b"\x00" * 4)))
    ),
    "NULL with content": message(pdu(0xA0, vbs=tlv(0x30, tlv(6, b"\x2b\x06") + b"\x05\x01\x00"))),
    "empty OID": message(pdu(0xA0, vbs=tlv(0x30, tlv(6, b"") + b"\x05\x00"))),
    "over-long OID arc": message(pdu(0xA0, vbs=tlv(0x30, tlv(6, b"\x2b\x80\x01") + b"\x05\x00"))),
    "truncated OID arc": message(pdu(0xA0, vbs=tlv(0x30, tlv(6, b"\x2b\x86") + b"\x05\x00"))),
    "unknown value tag": message(pdu(0xA3, vbs=tlv(0x30, tlv(6, b"\x2b\x06") + tlv(0x47, b"\x01")))),
    "constructed community": tlv(0x30, b"\x02\x01\x01" + tlv(0x24, tlv(4, b"public")) + pdu(0xA0)),
    "bytes after the value": message(pdu(0xA0, vbs=tlv(0x30, tlv(6, b"\x2b\x06") + b"\x05\x00\x00"))),
    "varbind list longer than the PDU": GOOD[:-1],
    "empty datagram": b"",
}


@pytest.mark.parametrize("data", REJECTED.values(), ids=list(REJECTED))
def test_strict_decoder_rejects(data: bytes) -> None:
    """Everything outside the strict v1/v2c request subset raises one typed BerError naming the field."""
    with pytest.raises(ber.BerError) as info:
        ber.decode_request(data)
    assert info.value.field and info.value.reason


def test_good_reference_message_decodes() -> None:
    """The message the rejections above are built from is itself accepted."""
    assert ber.decode_request(GOOD).varbinds == [(SYS_DESCR, ber.decode_request(GOOD).varbinds[0][1])]


def test_long_form_lengths_are_accepted() -> None:
    """A community and a varbind list longer than 127 octets use long-form lengths and decode."""
    oids = [(1, 3, 6, 1, 2, 1, 2, 2, 1, 10, n) for n in range(1, 40)]
    data = pysnmp_request(api_v2c.GetRequestPDU, [(o, api_v2c.Null("")) for o in oids])
    assert [oid for oid, _ in ber.decode_request(data).varbinds] == oids


@settings(max_examples=500, deadline=None, database=None, derandomize=True)
@given(st.binary(max_size=120))
def test_random_bytes_decode_or_raise_ber_error(data: bytes) -> None:
    """Random input never raises anything but BerError."""
    with contextlib.suppress(ber.BerError):
        ber.decode_request(data)
