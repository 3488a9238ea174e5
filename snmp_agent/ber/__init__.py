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
pysnmp ``rfc1902`` / ``rfc1905`` objects, producing the bytes pyasn1 would
(except that negative INTEGERs such as -128 get the minimal encoding X.690
asks for, where pyasn1 adds a redundant ``ff`` octet).  OID encodings are
cached; values are encoded from ``int(v)`` / ``v.asOctets()`` /
``v.asTuple()`` chosen by the value's class (looked up once per class), and
any other type through pyasn1's own encoder.

Modules: :mod:`.common` (tags, :class:`BerError`, :class:`Request`),
:mod:`.decode`, :mod:`.encode`.
"""

from .common import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    GET,
    GETBULK,
    GETNEXT,
    INTEGER,
    IP_ADDRESS,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OID_CACHE_KEY_MAX,
    OID_CACHE_LIMIT,
    OPAQUE,
    REQUEST_TYPES,
    RESPONSE,
    SEQUENCE,
    SET,
    TIMETICKS,
    V1,
    V2C,
    BerError,
    Oid,
    Request,
    UnknownCommunity,
    VarBind,
)
from .decode import decode_oid, decode_request
from .encode import (
    encode_integer,
    encode_length,
    encode_oid,
    encode_response,
    encode_value,
    encode_varbind,
    integer_content,
    oid_content,
    value_tag,
)

__all__ = [
    "COUNTER32",
    "COUNTER64",
    "END_OF_MIB_VIEW",
    "GAUGE32",
    "GET",
    "GETBULK",
    "GETNEXT",
    "INTEGER",
    "IP_ADDRESS",
    "NO_SUCH_INSTANCE",
    "NO_SUCH_OBJECT",
    "NULL",
    "OBJECT_IDENTIFIER",
    "OCTET_STRING",
    "OID_CACHE_KEY_MAX",
    "OID_CACHE_LIMIT",
    "OPAQUE",
    "REQUEST_TYPES",
    "RESPONSE",
    "SEQUENCE",
    "SET",
    "TIMETICKS",
    "V1",
    "V2C",
    "BerError",
    "Oid",
    "Request",
    "UnknownCommunity",
    "VarBind",
    "decode_oid",
    "decode_request",
    "encode_integer",
    "encode_length",
    "encode_oid",
    "encode_response",
    "encode_value",
    "encode_varbind",
    "integer_content",
    "oid_content",
    "value_tag",
]
