"""Encoding of SNMP Response messages from pysnmp value objects (see :mod:`snmp_agent.ber`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyasn1.codec.ber import encoder as _pyasn1_encoder

from .common import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    INTEGER,
    IP_ADDRESS,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OID_CACHE_LIMIT,
    OPAQUE,
    RESPONSE,
    SEQUENCE,
    TIMETICKS,
    V1,
    V2C,
    BerError,
    Oid,
    VarBind,
)

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
