"""Typed BMC errors and the one table that maps them to completion codes.

Command handlers raise these; :func:`completion_code_for` is the only place
that turns an exception into an IPMI completion code (IPMI 2.0 table 5-2).
"""

from __future__ import annotations


class IpmiError(Exception):
    """Base class: a request that fails with a specific completion code."""

    completion_code = 0xFF
    data = b""  # response data sent with the completion code (a few command-specific codes carry data)

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__class__.__name__)


class NodeBusy(IpmiError):
    completion_code = 0xC0


class InvalidCommand(IpmiError):
    completion_code = 0xC1


class InvalidForLun(IpmiError):
    completion_code = 0xC2


class OutOfSpace(IpmiError):
    completion_code = 0xC4


class ReservationCancelled(IpmiError):
    completion_code = 0xC5


class RequestDataTruncated(IpmiError):
    completion_code = 0xC6


class RequestDataLengthInvalid(IpmiError):
    completion_code = 0xC7


class ParameterOutOfRange(IpmiError):
    completion_code = 0xC9


class CannotReturnBytes(IpmiError):
    completion_code = 0xCA


class NotPresent(IpmiError):
    """Requested sensor, data or record not present."""

    completion_code = 0xCB


class InvalidDataField(IpmiError):
    completion_code = 0xCC


class IllegalForSensorType(IpmiError):
    completion_code = 0xCD


class DestinationUnavailable(IpmiError):
    completion_code = 0xD3


class InsufficientPrivilege(IpmiError):
    completion_code = 0xD4


class NotSupportedInPresentState(IpmiError):
    completion_code = 0xD5


class ParameterNotSupported(IpmiError):
    """Command-specific 0x80 (e.g. boot option / LAN parameter not supported)."""

    completion_code = 0x80


class CommandSpecific(IpmiError):
    """A command-specific completion code (0x80..0xBE) chosen by the handler."""

    def __init__(self, code: int, message: str = "", data: bytes = b"") -> None:
        super().__init__(message)
        self.completion_code = code
        self.data = data


def completion_code_for(error: BaseException) -> int:
    """Return the completion code for ``error``; unexpected errors are 0xFF."""
    if isinstance(error, IpmiError):
        return error.completion_code
    return 0xFF
