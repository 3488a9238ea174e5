"""The one table that maps typed errors to SNMP error statuses (RFC 3416 section 3).

Device code raises :class:`snmp_agent.source.SnmpError` subclasses; the agent
turns any exception into an error-status name with :func:`error_status_for`
and nowhere else.  pysnmp accepts the names directly, and converts them to
SNMPv1 codes (noSuchName, badValue, ...) for v1 requests; the fast path
(:mod:`snmp_agent.fastpath`) uses :data:`ERROR_STATUS_CODES` and
:func:`v1_error_status` for the same translation.
"""

from __future__ import annotations

from .source import SnmpError

#: RFC 3416 error-status names and codes.
ERROR_STATUS_CODES: dict[str, int] = {
    "noError": 0,
    "tooBig": 1,
    "noSuchName": 2,
    "badValue": 3,
    "readOnly": 4,
    "genErr": 5,
    "noAccess": 6,
    "wrongType": 7,
    "wrongLength": 8,
    "wrongEncoding": 9,
    "wrongValue": 10,
    "noCreation": 11,
    "inconsistentValue": 12,
    "resourceUnavailable": 13,
    "commitFailed": 14,
    "undoFailed": 15,
    "authorizationError": 16,
    "notWritable": 17,
    "inconsistentName": 18,
}

#: SNMPv2 error-status code -> the SNMPv1 code sent instead (RFC 2576 section 4.3, as pysnmp maps it).
V2_TO_V1_ERROR_STATUS: dict[int, int] = {
    0: 0,
    1: 1,
    5: 5,
    10: 3,
    9: 3,
    7: 3,
    8: 3,
    12: 3,
    6: 2,
    17: 2,
    11: 2,
    18: 2,
    13: 5,
    14: 5,
    15: 5,
    16: 2,
}

#: Statuses a device may choose by raising an :class:`SnmpError` subclass.
DEVICE_STATUSES = frozenset(
    {
        "genErr",
        "noAccess",
        "notWritable",
        "wrongType",
        "wrongValue",
        "wrongLength",
        "noCreation",
        "inconsistentValue",
        "resourceUnavailable",
        "commitFailed",
        "inconsistentName",
    }
)


class NoAccess(SnmpError):
    """The principal may not perform this operation (read-only community SET)."""

    status = "noAccess"


class AuthorizationError(SnmpError):
    """A v3 user authenticated by the engine is not configured on this device."""

    status = "authorizationError"


def error_status_for(exc: BaseException) -> str:
    """The error-status name for an exception raised while serving a request.

    :class:`SnmpError` subclasses give their own ``status`` (unknown names fall
    back to genErr); any other exception is a device bug and gives genErr.
    """
    if isinstance(exc, (NoAccess, AuthorizationError)):
        return exc.status
    if isinstance(exc, SnmpError) and exc.status in DEVICE_STATUSES:
        return exc.status
    return "genErr"


def v1_error_status(code: int) -> int:
    """The SNMPv1 error-status code for an SNMPv2 one (genErr for codes RFC 2576 does not map)."""
    return V2_TO_V1_ERROR_STATUS.get(code, 5)
