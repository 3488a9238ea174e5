"""A minimal, strict BER codec for SNMPv1/v2c command messages (RFC 1157, RFC 3416).

Pure functions, no sockets.  :func:`decode_request` reads::

    Message ::= SEQUENCE { version INTEGER (0|1), community OCTET STRING, pdu }

with a GetRequest (A0), GetNextRequest (A1), SetRequest (A3) or, in v2c only,
GetBulkRequest (A5) PDU.  It is strict: definite minimal lengths only (no
indefinite form, no over-long length or INTEGER encodings), no trailing
bytes, no constructed strings, and the value ranges pysnmp enforces when it
decodes (Integer32 request-id, 0..2^31-1 error-index / non-repeaters /
max-repetitions, Counter32 ranges, 4-byte IpAddress, ...).  Anything else
raises :class:`BerError`; the agent then hands the datagram to pysnmp, which
answers, drops or counts it exactly as it always did.

Request values decode to the pysnmp classes pysnmp itself produces (v1 values
as pysnmp converts them to v2c), so a device sees the same objects either way.

:func:`encode_response` builds a Response (A2) from ``(oid, value)`` pairs of
pysnmp ``rfc1902`` / ``rfc1905`` objects, producing the bytes pyasn1 would.
OID encodings are cached; values are encoded from ``int(v)`` / ``v.asOctets()``
/ ``v.asTuple()`` chosen by the value's class (looked up once per class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyasn1.codec.ber import encoder as _pyasn1_encoder
from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905

Oid = tuple[int, ...]
VarBind = tuple[Oid, Any]

GET, GETNEXT, RESPONSE, SET, GETBULK = 0xA0, 0xA1, 0xA2, 0xA3, 0xA5
REQUEST_TYPES = frozenset({GET, GETNEXT, SET, GETBULK})
V1, V2C = 0, 1

INTEGER, OCTET_STRING, NULL, OBJECT_IDENTIFIER, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
IP_ADDRESS, COUNTER32, GAUGE32, TIMETICKS, OPAQUE, COUNTER64 = 0x40, 0x41, 0x42, 0x43, 0x44, 0x46
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_UINT32_MAX = 2**32 - 1
_UINT64_MAX = 2**64 - 1
#: An INTEGER longer than this cannot hold any value SNMP allows (Counter64 takes 9 octets).
_MAX_INT_OCTETS = 9
#: OID encodings cached before the cache is emptied (bounds memory against scans of random OIDs).
OID_CACHE_LIMIT = 65536


class BerError(ValueError):
    """A datagram that is not a v1/v2c request this codec accepts: which field, and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(slots=True)
class Request:
    """A decoded v1/v2c request.  For GETBULK ``non_repeaters`` / ``max_repetitions``
    hold the PDU's second and third fields; for other PDUs they are error-status / error-index.
    """

    version: int
    community: bytes
    pdu_type: int
    request_id: int
    non_repeaters: int
    max_repetitions: int
    varbinds: list[VarBind]


# -- decoding -------------------------------------------------------------------


def _length(data: bytes, pos: int, end: int, field: str) -> tuple[int, int]:
    """Decode a definite, minimal length at ``pos``; return (content start, content end)."""
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise BerError(field, "indefinite length")
    else:
        count = first & 0x7F
        if count > 4 or pos + count > end:
            raise BerError(field, "bad long-form length")
        if data[pos] == 0:
            raise BerError(field, "over-long length encoding")
        length = int.from_bytes(data[pos : pos + count], "big")
        if length < 0x80:
            raise BerError(field, "over-long length encoding")
        pos += count
    stop = pos + length
    if stop > end:
        raise BerError(field, "length runs past its container")
    return pos, stop


def _integer(content: bytes, field: str) -> int:
    size = len(content)
    if size == 0:
        raise BerError(field, "empty INTEGER")
    if size > 1 and ((content[0] == 0 and content[1] < 0x80) or (content[0] == 0xFF and content[1] >= 0x80)):
        raise BerError(field, "over-long INTEGER encoding")
    if size > _MAX_INT_OCTETS:
        raise BerError(field, "INTEGER too large")
    return int.from_bytes(content, "big", signed=True)


def decode_oid(content: bytes, field: str = "name") -> Oid:
    """The arcs of an OBJECT IDENTIFIER's content octets (minimal sub-identifiers only)."""
    if not content:
        raise BerError(field, "empty OBJECT IDENTIFIER")
    if content[-1] & 0x80:
        raise BerError(field, "truncated sub-identifier")
    arcs: list[int] = []
    append = arcs.append
    value = 0
    fresh = True
    for byte in content:
        if fresh and byte == 0x80:
            raise BerError(field, "over-long sub-identifier")
        value = (value << 7) | (byte & 0x7F)
        if byte & 0x80:
            fresh = False
        else:
            append(value)
            value = 0
            fresh = True
    first = arcs[0]
    if first < 40:
        return (0, *arcs)
    if first < 80:
        return (1, first - 40, *arcs[1:])
    return (2, first - 80, *arcs[1:])


def _unsigned(content: bytes, high: int, field: str) -> int:
    value = _integer(content, field)
    if not 0 <= value <= high:
        raise BerError(field, f"{value} out of range 0..{high}")
    return value


def _decode_value(tag: int, content: bytes, version: int) -> Any:
    """A request value as the pysnmp class pysnmp's own decoder (and v1->v2c mapping) gives."""
    if tag == NULL:
        if content:
            raise BerError("value", "NULL with content")
        return _NULL
    if tag == INTEGER:
        value = _integer(content, "value")
        if not _INT32_MIN <= value <= _INT32_MAX:
            raise BerError("value", "INTEGER out of Integer32 range")
        return rfc1902.Integer(value) if version == V2C else rfc1902.Integer32(value)
    if tag == OCTET_STRING:
        if len(content) > 65535:
            raise BerError("value", "OCTET STRING longer than 65535")
        return rfc1902.OctetString(content)
    if tag == OBJECT_IDENTIFIER:
        oid = decode_oid(content, "value")
        return univ.ObjectIdentifier(oid) if version == V2C else rfc1902.ObjectIdentifier(oid)
    if tag == IP_ADDRESS:
        if len(content) != 4:
            raise BerError("value", "IpAddress must be 4 octets")
        return rfc1902.IpAddress(content)
    if tag == COUNTER32:
        return rfc1902.Counter32(_unsigned(content, _UINT32_MAX, "value"))
    if tag == GAUGE32:
        return rfc1902.Gauge32(_unsigned(content, _UINT32_MAX, "value"))
    if tag == TIMETICKS:
        return rfc1902.TimeTicks(_unsigned(content, _UINT32_MAX, "value"))
    if tag == OPAQUE:
        return rfc1902.Opaque(content)
    if version == V2C:
        if tag == COUNTER64:
            return rfc1902.Counter64(_unsigned(content, _UINT64_MAX, "value"))
        exception = _EXCEPTIONS.get(tag)
        if exception is not None:
            if content:
                raise BerError("value", "exception with content")
            return exception
    raise BerError("value", f"tag 0x{tag:02x} not allowed in this version")


def _int_at(data: bytes, pos: int, end: int, field: str, low: int, high: int) -> tuple[int, int]:
    """The INTEGER TLV at ``pos`` (value within ``low..high``) and the position after it."""
    if pos + 2 > end or data[pos] != INTEGER:
        raise BerError(field, "INTEGER expected")
    size = data[pos + 1]
    start = pos + 2
    stop = start + size
    if size == 1 and stop <= end:
        value = data[start]
        if value > 0x7F:
            value -= 0x100
    elif size >= 0x80 or stop > end:
        raise BerError(field, "bad INTEGER length")
    else:
        value = _integer(data[start:stop], field)
    if not low <= value <= high:
        raise BerError(field, f"{value} out of range {low}..{high}")
    return value, stop


_oid_decode_cache: dict[bytes, Oid] = {}


def decode_request(data: bytes) -> Request:
    """Decode one v1/v2c request datagram or raise :class:`BerError`."""
    end = len(data)
    if end < 2 or data[0] != SEQUENCE:
        raise BerError("message", "not a SEQUENCE")
    if data[1] < 0x80:
        pos = 2
        stop = 2 + data[1]
    else:
        pos, stop = _length(data, 1, end, "message")
    if stop != end:
        raise BerError("message", "length does not match the datagram")
    # version: INTEGER 0 or 1, whose only minimal encodings are 02 01 00 and 02 01 01
    if pos + 5 > end or data[pos] != INTEGER or data[pos + 1] != 1 or data[pos + 2] > V2C:
        raise BerError("version", "not SNMPv1/v2c")
    version = data[pos + 2]
    pos += 3
    if data[pos] != OCTET_STRING:
        raise BerError("community", "OCTET STRING expected")
    if data[pos + 1] < 0x80:
        c_start = pos + 2
        pos = c_start + data[pos + 1]
        if pos > end:
            raise BerError("community", "length runs past the message")
    else:
        c_start, pos = _length(data, pos + 1, end, "community")
    community = data[c_start:pos]
    if pos + 2 > end:
        raise BerError("pdu", "truncated")
    pdu_type = data[pos]
    if pdu_type not in REQUEST_TYPES or (pdu_type == GETBULK and version != V2C):
        raise BerError("pdu", f"PDU type 0x{pdu_type:02x} is not a request of this version")
    if data[pos + 1] < 0x80:
        pos += 2
        p_stop = pos + data[pos - 1]
    else:
        pos, p_stop = _length(data, pos + 1, end, "pdu")
    if p_stop != end:
        raise BerError("pdu", "length does not match the message")
    request_id, pos = _int_at(data, pos, end, "request-id", _INT32_MIN, _INT32_MAX)
    if pdu_type == GETBULK:
        second, pos = _int_at(data, pos, end, "non-repeaters", 0, _INT32_MAX)
    else:
        second, pos = _int_at(data, pos, end, "error-status", -_UINT64_MAX, _UINT64_MAX)
    third, pos = _int_at(data, pos, end, "error-index", 0, _INT32_MAX)
    if pos + 2 > end or data[pos] != SEQUENCE:
        raise BerError("variable-bindings", "SEQUENCE expected")
    if data[pos + 1] < 0x80:
        pos += 2
        l_stop = pos + data[pos - 1]
    else:
        pos, l_stop = _length(data, pos + 1, end, "variable-bindings")
    if l_stop != end:
        raise BerError("variable-bindings", "length does not match the PDU")
    varbinds: list[VarBind] = []
    append = varbinds.append
    oids = _oid_decode_cache
    while pos < end:
        # varbind SEQUENCE
        if pos + 2 > end or data[pos] != SEQUENCE:
            raise BerError("varbind", "SEQUENCE expected")
        if data[pos + 1] < 0x80:
            pos += 2
            v_stop = pos + data[pos - 1]
            if v_stop > end:
                raise BerError("varbind", "length runs past the list")
        else:
            pos, v_stop = _length(data, pos + 1, end, "varbind")
        # name
        if pos + 2 > v_stop or data[pos] != OBJECT_IDENTIFIER:
            raise BerError("name", "OBJECT IDENTIFIER expected")
        if data[pos + 1] < 0x80:
            pos += 2
            o_stop = pos + data[pos - 1]
            if o_stop > v_stop:
                raise BerError("name", "length runs past the varbind")
        else:
            pos, o_stop = _length(data, pos + 1, v_stop, "name")
        key = data[pos:o_stop]
        oid = oids.get(key)
        if oid is None:
            oid = decode_oid(key)
            if len(oids) >= OID_CACHE_LIMIT:
                oids.clear()
            oids[key] = oid
        # value
        if o_stop + 2 > v_stop:
            raise BerError("value", "truncated")
        tag = data[o_stop]
        if tag == NULL and data[o_stop + 1] == 0 and o_stop + 2 == v_stop:
            append((oid, _NULL))
        else:
            x_start, x_stop = _length(data, o_stop + 1, v_stop, "value")
            if x_stop != v_stop:
                raise BerError("varbind", "bytes after the value")
            append((oid, _decode_value(tag, data[x_start:x_stop], version)))
        pos = v_stop
    return Request(version, community, pdu_type, request_id, second, third, varbinds)


# -- encoding -------------------------------------------------------------------

_SHORT_LENGTHS = [bytes((n,)) for n in range(0x80)]


def encode_length(length: int) -> bytes:
    """The minimal definite length octets for ``length``."""
    if length < 0x80:
        return _SHORT_LENGTHS[length]
    size = (length.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + length.to_bytes(size, "big")


def _tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    return bytes((tag,)) + encode_length(length) + content


def integer_content(value: int) -> bytes:
    """Minimal two's-complement content octets of an INTEGER (as pyasn1 writes them)."""
    magnitude = value if value >= 0 else ~value
    return value.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True)


def encode_integer(tag: int, value: int) -> bytes:
    return _tlv(tag, integer_content(value))


def oid_content(oid: Sequence[int]) -> bytes:
    """Content octets of an OBJECT IDENTIFIER; raises :class:`BerError` for OIDs BER cannot carry."""
    if len(oid) < 2:
        raise BerError("name", "an OID needs at least two arcs")
    first, second = oid[0], oid[1]
    if first < 0 or second < 0 or first > 2 or (first < 2 and second > 39):
        raise BerError("name", "first two arcs out of range")
    out = bytearray()
    for arc in (first * 40 + second, *oid[2:]):
        if arc < 0x80:
            if arc < 0:
                raise BerError("name", "negative arc")
            out.append(arc)
            continue
        chunk = bytearray((arc & 0x7F,))
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        chunk.reverse()
        out += chunk
    return bytes(out)


_oid_cache: dict[Oid, bytes] = {}


def encode_oid(oid: Oid) -> bytes:
    """The OBJECT IDENTIFIER TLV of ``oid`` (cached)."""
    encoded = _oid_cache.get(oid)
    if encoded is None:
        encoded = _tlv(OBJECT_IDENTIFIER, oid_content(oid))
        if len(_oid_cache) >= OID_CACHE_LIMIT:
            _oid_cache.clear()
        _oid_cache[oid] = encoded
    return encoded


# How a value class is encoded: its tag and which of its accessors gives the content.
_INT, _OCTETS, _OBJECT, _EMPTY, _OTHER = range(5)
_NULL = rfc1902.Null("")
_EXCEPTIONS: dict[int, Any] = {
    NO_SUCH_OBJECT: rfc1905.noSuchObject,
    NO_SUCH_INSTANCE: rfc1905.noSuchInstance,
    END_OF_MIB_VIEW: rfc1905.endOfMibView,
}
_KINDS: dict[int, int] = {
    INTEGER: _INT,
    COUNTER32: _INT,
    GAUGE32: _INT,
    TIMETICKS: _INT,
    COUNTER64: _INT,
    OCTET_STRING: _OCTETS,
    IP_ADDRESS: _OCTETS,
    OPAQUE: _OCTETS,
    OBJECT_IDENTIFIER: _OBJECT,
    NULL: _EMPTY,
    NO_SUCH_OBJECT: _EMPTY,
    NO_SUCH_INSTANCE: _EMPTY,
    END_OF_MIB_VIEW: _EMPTY,
}
_class_kinds: dict[type, tuple[int, int]] = {}


def _classify(cls: type, value: Any) -> tuple[int, int]:
    """(tag, kind) of a pyasn1 value class, from its tag set; unknown shapes encode through pyasn1."""
    kind = (0, _OTHER)
    tags = getattr(value, "tagSet", None)
    if tags is not None and len(tags) == 1:
        base = tags[0]
        if base.tagId < 31:
            tag = base.tagClass | base.tagFormat | base.tagId
            if tag in _KINDS:
                kind = (tag, _KINDS[tag])
    _class_kinds[cls] = kind
    return kind


def value_tag(value: Any) -> int:
    """The BER tag ``value`` is encoded with (0 for a type this codec leaves to pyasn1)."""
    cls = type(value)
    kind = _class_kinds.get(cls)
    if kind is None:
        kind = _classify(cls, value)
    return kind[0]


def encode_value(value: Any) -> bytes:
    """The TLV of one pysnmp value object."""
    kind = _class_kinds.get(type(value))
    if kind is None:
        kind = _classify(type(value), value)
    tag, how = kind
    if how == _INT:
        number = int(value)
        if 0 <= number < 0x80:
            return bytes((tag, 1, number))
        magnitude = number if number >= 0 else ~number
        content = number.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True)
    elif how == _OCTETS:
        content = value.asOctets()
    elif how == _EMPTY:
        return bytes((tag, 0))
    elif how == _OBJECT:
        return encode_oid(tuple(value.asTuple()))
    else:
        encoded: bytes = _pyasn1_encoder.encode(value)
        return encoded
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    return bytes((tag,)) + encode_length(length) + content


def encode_varbind(oid: Oid, value: Any) -> bytes:
    """The VarBind SEQUENCE of ``oid`` and ``value``."""
    name = _oid_cache.get(oid)
    if name is None:
        name = encode_oid(oid)
    body = name + encode_value(value)
    length = len(body)
    if length < 0x80:
        return bytes((SEQUENCE, length)) + body
    return bytes((SEQUENCE,)) + encode_length(length) + body


def encode_response(
    version: int,
    community: bytes,
    request_id: int,
    error_status: int,
    error_index: int,
    varbinds: Sequence[VarBind],
) -> bytes:
    """A complete Response message (A2) carrying ``varbinds``."""
    bindings = b"".join([encode_varbind(oid, value) for oid, value in varbinds])
    size = len(bindings)
    pdu = b"".join(
        (
            _small_int_tlv(request_id),
            _small_int_tlv(error_status),
            _small_int_tlv(error_index),
            bytes((SEQUENCE, size)) if size < 0x80 else bytes((SEQUENCE,)) + encode_length(size),
            bindings,
        )
    )
    size = len(community)
    body = b"".join(
        (
            _VERSION_TLVS[version],
            bytes((OCTET_STRING, size)) if size < 0x80 else bytes((OCTET_STRING,)) + encode_length(size),
            community,
            bytes((RESPONSE,)),
            encode_length(len(pdu)),
            pdu,
        )
    )
    return bytes((SEQUENCE,)) + encode_length(len(body)) + body


_INT_TLVS = [bytes((INTEGER, 1, n)) for n in range(0x80)]


def _small_int_tlv(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _INT_TLVS[value]
    return encode_integer(INTEGER, value)


_VERSION_TLVS = {V1: b"\x02\x01\x00", V2C: b"\x02\x01\x01"}
