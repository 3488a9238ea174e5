"""Strict decoding of SNMPv1/v2c request datagrams (see :mod:`snmp_agent.ber`)."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from pyasn1.type import univ
from pysnmp.proto import rfc1902

from .common import (
    COUNTER32,
    COUNTER64,
    EXCEPTIONS,
    GAUGE32,
    GETBULK,
    INT32_MAX,
    INT32_MIN,
    INTEGER,
    IP_ADDRESS,
    NULL,
    NULL_VALUE,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OID_CACHE_KEY_MAX,
    OID_CACHE_LIMIT,
    OPAQUE,
    REQUEST_TYPES,
    SEQUENCE,
    TIMETICKS,
    UINT32_MAX,
    UINT64_MAX,
    V2C,
    BerError,
    Oid,
    Request,
    UnknownCommunity,
    VarBind,
)

#: An INTEGER longer than this cannot hold any value SNMP allows (Counter64 takes 9 octets).
_MAX_INT_OCTETS = 9


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
        return NULL_VALUE
    if tag == INTEGER:
        value = _integer(content, "value")
        if not INT32_MIN <= value <= INT32_MAX:
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
        return rfc1902.Counter32(_unsigned(content, UINT32_MAX, "value"))
    if tag == GAUGE32:
        return rfc1902.Gauge32(_unsigned(content, UINT32_MAX, "value"))
    if tag == TIMETICKS:
        return rfc1902.TimeTicks(_unsigned(content, UINT32_MAX, "value"))
    if tag == OPAQUE:
        return rfc1902.Opaque(content)
    if version == V2C:
        if tag == COUNTER64:
            return rfc1902.Counter64(_unsigned(content, UINT64_MAX, "value"))
        exception = EXCEPTIONS.get(tag)
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


def decode_request(data: bytes, principals: Container[tuple[bytes, int]] | None = None) -> Request:
    """Decode one v1/v2c request datagram or raise :class:`BerError`.

    With ``principals`` (the ``(community, version)`` pairs the agent knows), a request from anyone else
    raises :class:`UnknownCommunity` before its variable bindings are read: an unauthenticated sender
    costs no decoding and leaves nothing in the OID cache.  Encoded OIDs longer than
    ``OID_CACHE_KEY_MAX`` bytes are never cached, so the cache is bounded in bytes as well as entries.
    """
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
    if principals is not None and (community, version) not in principals:
        raise UnknownCommunity(community)
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
    request_id, pos = _int_at(data, pos, end, "request-id", INT32_MIN, INT32_MAX)
    if pdu_type == GETBULK:
        second, pos = _int_at(data, pos, end, "non-repeaters", 0, INT32_MAX)
    else:
        second, pos = _int_at(data, pos, end, "error-status", -UINT64_MAX, UINT64_MAX)
    third, pos = _int_at(data, pos, end, "error-index", 0, INT32_MAX)
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
            if len(key) <= OID_CACHE_KEY_MAX:
                if len(oids) >= OID_CACHE_LIMIT:
                    oids.clear()
                oids[key] = oid
        # value
        if o_stop + 2 > v_stop:
            raise BerError("value", "truncated")
        tag = data[o_stop]
        if tag == NULL and data[o_stop + 1] == 0 and o_stop + 2 == v_stop:
            append((oid, NULL_VALUE))
        else:
            x_start, x_stop = _length(data, o_stop + 1, v_stop, "value")
            if x_stop != v_stop:
                raise BerError("varbind", "bytes after the value")
            append((oid, _decode_value(tag, data[x_start:x_stop], version)))
        pos = v_stop
    return Request(version, community, pdu_type, request_id, second, third, varbinds)
