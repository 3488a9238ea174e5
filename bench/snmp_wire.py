"""SNMP v2c on the wire for the benchmark clients: request templates, a small BER reader, tree export.

Pure functions, no sockets.  Requests are encoded ONCE with pysnmp's
protocol API (:class:`RequestTemplate`); each send only patches the 4-byte
request-id in place, so a client spends its time on the network, not in
pyasn1.  Responses are read by a minimal BER reader (:func:`parse_response`)
that keeps each varbind's value as its BER tag and raw content bytes, which
is all the load client needs (request-id, error status, exceptions) and all
the tree export needs (:func:`snmprec_line` for snmpsim,
:func:`snmpd_override_line` for net-snmp's ``override`` directive).
Anything that does not parse raises :class:`MalformedResponse`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from pyasn1.codec.ber import encoder
from pysnmp.proto import api

Oid = tuple[int, ...]

# BER tags of the values an SNMPv2c response carries
TAG_INTEGER = 0x02
TAG_OCTET_STRING = 0x04
TAG_NULL = 0x05
TAG_OID = 0x06
TAG_IPADDRESS = 0x40
TAG_COUNTER32 = 0x41
TAG_GAUGE32 = 0x42
TAG_TIMETICKS = 0x43
TAG_OPAQUE = 0x44
TAG_COUNTER64 = 0x46
TAG_NO_SUCH_OBJECT = 0x80
TAG_NO_SUCH_INSTANCE = 0x81
TAG_END_OF_MIB_VIEW = 0x82
EXCEPTION_TAGS = frozenset({TAG_NO_SUCH_OBJECT, TAG_NO_SUCH_INSTANCE, TAG_END_OF_MIB_VIEW})
_UNSIGNED_TAGS = {TAG_COUNTER32: "65", TAG_GAUGE32: "66", TAG_TIMETICKS: "67", TAG_COUNTER64: "70"}
_PDU_RESPONSE = 0xA2

# request-ids stay in this range so that they always encode as 4 minimal BER bytes
REQUEST_ID_MIN = 0x01000000
REQUEST_ID_MAX = 0x7FFFFFFF
_PLACEHOLDER_ID = REQUEST_ID_MAX
_PRINTABLE = frozenset(string.printable) - frozenset("\t\n\r\x0b\x0c|")


class MalformedResponse(ValueError):
    """A datagram that is not a well-formed SNMPv2c Response PDU."""


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1"`` or ``".1.3.6.1"`` as a tuple of arcs."""
    return tuple(int(arc) for arc in text.strip().lstrip(".").split("."))


def format_oid(oid: Oid) -> str:
    return ".".join(str(arc) for arc in oid)


# --------------------------------------------------------------------------- requests


def _message(pdu: object, community: str) -> bytes:
    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message = proto.Message()
    proto.apiMessage.set_defaults(message)
    proto.apiMessage.set_community(message, community)
    proto.apiMessage.set_pdu(message, pdu)
    encoded: bytes = encoder.encode(message)
    return encoded


def encode_get(community: str, oids: list[Oid], request_id: int) -> bytes:
    """A v2c GetRequest for ``oids`` (values NULL), encoded with pysnmp's protocol API."""
    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = proto.GetRequestPDU()
    proto.apiPDU.set_defaults(pdu)
    proto.apiPDU.set_request_id(pdu, request_id)
    proto.apiPDU.set_varbinds(pdu, [(oid, proto.Null("")) for oid in oids])
    return _message(pdu, community)


def encode_getbulk(community: str, oid: Oid, request_id: int, max_repetitions: int) -> bytes:
    """A v2c GetBulkRequest (no non-repeaters) starting after ``oid``."""
    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = proto.GetBulkRequestPDU()
    proto.apiBulkPDU.set_defaults(pdu)
    proto.apiBulkPDU.set_request_id(pdu, request_id)
    proto.apiBulkPDU.set_non_repeaters(pdu, 0)
    proto.apiBulkPDU.set_max_repetitions(pdu, max_repetitions)
    proto.apiBulkPDU.set_varbinds(pdu, [(oid, proto.Null(""))])
    return _message(pdu, community)


class RequestTemplate:
    """A GetRequest encoded once; :meth:`render` copies it with another request-id patched in."""

    def __init__(self, community: str, oids: list[Oid]) -> None:
        self.oids = list(oids)
        encoded = encode_get(community, self.oids, _PLACEHOLDER_ID)
        marker = bytes([TAG_INTEGER, 4]) + _PLACEHOLDER_ID.to_bytes(4, "big")
        offset = encoded.find(marker)
        if offset < 0:
            raise AssertionError("request-id not found in the encoded template")
        self._head = encoded[: offset + 2]
        self._tail = encoded[offset + 6 :]

    def render(self, request_id: int) -> bytes:
        """The request with ``request_id`` (``REQUEST_ID_MIN..REQUEST_ID_MAX``)."""
        if not REQUEST_ID_MIN <= request_id <= REQUEST_ID_MAX:
            raise ValueError(f"request-id {request_id:#x} does not fit the template")
        return self._head + request_id.to_bytes(4, "big") + self._tail


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True, slots=True)
class VarBind:
    """One varbind of a response: its OID, the value's BER tag and raw content bytes."""

    oid: Oid
    tag: int
    raw: bytes

    @property
    def is_exception(self) -> bool:
        return self.tag in EXCEPTION_TAGS


@dataclass(frozen=True, slots=True)
class Response:
    request_id: int
    error_status: int
    error_index: int
    varbinds: tuple[VarBind, ...]


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``; single-byte tags only."""
    if pos + 2 > end:
        raise MalformedResponse("truncated TLV")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise MalformedResponse("bad BER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise MalformedResponse("BER length past the end of the datagram")
    return tag, pos, pos + length


def _expect(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    got, start, stop = _tlv(data, pos, end)
    if got != tag:
        raise MalformedResponse(f"expected tag {tag:#04x}, got {got:#04x}")
    return start, stop


def decode_int(raw: bytes) -> int:
    """A BER INTEGER's content as a signed integer."""
    if not raw:
        raise MalformedResponse("empty INTEGER")
    return int.from_bytes(raw, "big", signed=True)


def decode_oid(raw: bytes) -> Oid:
    """A BER OBJECT IDENTIFIER's content as a tuple of arcs."""
    if not raw:
        raise MalformedResponse("empty OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if raw[-1] & 0x80:
        raise MalformedResponse("OBJECT IDENTIFIER ends inside an arc")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return head + tuple(arcs[1:])


def _header(data: bytes) -> tuple[int, int, int, int, int]:
    """(request-id, error-status, error-index, varbind-list start, end) of a v2c Response."""
    end = len(data)
    start, end = _expect(data, 0, end, 0x30)
    _, version_end = _expect(data, start, end, TAG_INTEGER)
    _, community_end = _expect(data, version_end, end, TAG_OCTET_STRING)
    pdu_start, pdu_end = _expect(data, community_end, end, _PDU_RESPONSE)
    rid_start, rid_end = _expect(data, pdu_start, pdu_end, TAG_INTEGER)
    status_start, status_end = _expect(data, rid_end, pdu_end, TAG_INTEGER)
    index_start, index_end = _expect(data, status_end, pdu_end, TAG_INTEGER)
    list_start, list_end = _expect(data, index_end, pdu_end, 0x30)
    return (
        decode_int(data[rid_start:rid_end]),
        decode_int(data[status_start:status_end]),
        decode_int(data[index_start:index_end]),
        list_start,
        list_end,
    )


def response_summary(data: bytes) -> tuple[int, int, int]:
    """(request-id, error-status, varbinds holding an exception) without decoding OIDs: the load client's path."""
    request_id, status, _, pos, end = _header(data)
    exceptions = 0
    while pos < end:
        vb_start, vb_end = _expect(data, pos, end, 0x30)
        _, _, oid_end = _tlv(data, vb_start, vb_end)
        tag, _, _ = _tlv(data, oid_end, vb_end)
        exceptions += tag in EXCEPTION_TAGS
        pos = vb_end
    return request_id, status, exceptions


def parse_response(data: bytes) -> Response:
    """Every field of a v2c Response PDU; raises :class:`MalformedResponse`."""
    request_id, status, index, pos, end = _header(data)
    varbinds: list[VarBind] = []
    while pos < end:
        vb_start, vb_end = _expect(data, pos, end, 0x30)
        oid_start, oid_end = _expect(data, vb_start, vb_end, TAG_OID)
        tag, value_start, value_end = _tlv(data, oid_end, vb_end)
        varbinds.append(VarBind(decode_oid(data[oid_start:oid_end]), tag, data[value_start:value_end]))
        pos = vb_end
    return Response(request_id, status, index, tuple(varbinds))


# --------------------------------------------------------------------------- tree export


def _text_or_none(raw: bytes) -> str | None:
    """``raw`` as text when it is plain printable ASCII that survives a line-based file unchanged."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not text or text != text.strip() or not set(text) <= _PRINTABLE or text[0] in "\"'":
        return None
    return text


def snmprec_line(vb: VarBind) -> str | None:
    """The snmpsim ``.snmprec`` record (``oid|tag|value``) of a varbind; ``None`` for exceptions and NULL."""
    where = format_oid(vb.oid)
    if vb.tag == TAG_INTEGER:
        return f"{where}|2|{decode_int(vb.raw)}"
    if vb.tag == TAG_OCTET_STRING:
        text = _text_or_none(vb.raw)
        return f"{where}|4|{text}" if text is not None else f"{where}|4x|{vb.raw.hex()}"
    if vb.tag == TAG_OID:
        return f"{where}|6|{format_oid(decode_oid(vb.raw))}"
    if vb.tag == TAG_IPADDRESS:
        return f"{where}|64|{'.'.join(str(b) for b in vb.raw)}"
    if vb.tag in _UNSIGNED_TAGS:
        return f"{where}|{_UNSIGNED_TAGS[vb.tag]}|{int.from_bytes(vb.raw, 'big')}"
    if vb.tag in EXCEPTION_TAGS or vb.tag == TAG_NULL:
        return None
    raise MalformedResponse(f"{where}: value tag {vb.tag:#04x} has no snmprec form")


def snmpd_override_line(vb: VarBind) -> tuple[str | None, bool]:
    """net-snmp ``override OID TYPE VALUE`` for a varbind, and whether its type had to change.

    snmpd's override module (5.9) stores integer, counter, uinteger (Gauge32),
    timeticks, octet_str and object_id values but refuses Counter64 and
    IpAddress: a Counter64 is served as a Counter32 (value mod 2**32) and an
    IpAddress as its 4 bytes in an OCTET STRING.  Exceptions and NULL: ``None``.
    """
    where = "." + format_oid(vb.oid)
    if vb.tag == TAG_INTEGER:
        return f"override {where} integer {decode_int(vb.raw)}", False
    if vb.tag in (TAG_OCTET_STRING, TAG_IPADDRESS):
        value = "0x" + vb.raw.hex() if vb.raw else '""'
        return f"override {where} octet_str {value}", vb.tag == TAG_IPADDRESS
    if vb.tag == TAG_OID:
        return f"override {where} object_id .{format_oid(decode_oid(vb.raw))}", False
    if vb.tag == TAG_COUNTER64:
        return f"override {where} counter {int.from_bytes(vb.raw, 'big') & 0xFFFFFFFF}", True
    kinds = {TAG_COUNTER32: "counter", TAG_GAUGE32: "uinteger", TAG_TIMETICKS: "timeticks"}
    if vb.tag in kinds:
        return f"override {where} {kinds[vb.tag]} {int.from_bytes(vb.raw, 'big')}", False
    if vb.tag in EXCEPTION_TAGS or vb.tag == TAG_NULL:
        return None, False
    raise MalformedResponse(f"{where}: value tag {vb.tag:#04x} has no override form")
