"""Tags, limits and the error type shared by the SNMP BER decoder and encoder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pysnmp.proto import rfc1902, rfc1905

Oid = tuple[int, ...]
VarBind = tuple[Oid, Any]

GET, GETNEXT, RESPONSE, SET, GETBULK = 0xA0, 0xA1, 0xA2, 0xA3, 0xA5
REQUEST_TYPES = frozenset({GET, GETNEXT, SET, GETBULK})
V1, V2C = 0, 1

INTEGER, OCTET_STRING, NULL, OBJECT_IDENTIFIER, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
IP_ADDRESS, COUNTER32, GAUGE32, TIMETICKS, OPAQUE, COUNTER64 = 0x40, 0x41, 0x42, 0x43, 0x44, 0x46
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
#: OIDs whose encodings / decodings are cached before a cache is emptied (bounds memory against scans).
OID_CACHE_LIMIT = 65536

#: The values a request's NULL and v2 exception tags decode to (shared singletons).
NULL_VALUE = rfc1902.Null("")
EXCEPTIONS: dict[int, Any] = {
    NO_SUCH_OBJECT: rfc1905.noSuchObject,
    NO_SUCH_INSTANCE: rfc1905.noSuchInstance,
    END_OF_MIB_VIEW: rfc1905.endOfMibView,
}


class UnknownCommunity(Exception):
    """A well-formed request whose community (for its version) the agent does not know: drop it unanswered."""


OID_CACHE_KEY_MAX = 64  # encoded OIDs longer than this are decoded every time, never kept


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
