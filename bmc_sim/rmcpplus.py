"""RMCP+ session-setup payloads: Open Session Request/Response and RAKP messages 1-4.

Pure codecs (IPMI 2.0 sections 13.17-13.23) in both directions, so the BMC and
the test client share them.  Decoders raise :class:`~bmc_sim.wire.MalformedPacket`
naming the field; semantic checks (unknown user, name too long, ...) belong to
:mod:`bmc_sim.handshake`, which answers them with a status code.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from bmc_sim.wire import MalformedPacket

RANDOM_NUMBER_LENGTH = 16
GUID_LENGTH = 16
ROLE_PRIVILEGE_MASK = 0x0F
ROLE_NAME_ONLY_LOOKUP = 0x10


class RakpStatus(enum.IntEnum):
    """RMCP+ and RAKP message status codes (IPMI 2.0 table 13-15)."""

    NO_ERRORS = 0x00
    INSUFFICIENT_RESOURCES = 0x01
    INVALID_SESSION_ID = 0x02
    INVALID_PAYLOAD_TYPE = 0x03
    INVALID_AUTHENTICATION_ALGORITHM = 0x04
    INVALID_INTEGRITY_ALGORITHM = 0x05
    NO_MATCHING_AUTHENTICATION_PAYLOAD = 0x06
    NO_MATCHING_INTEGRITY_PAYLOAD = 0x07
    INACTIVE_SESSION_ID = 0x08
    INVALID_ROLE = 0x09
    UNAUTHORIZED_ROLE = 0x0A
    INSUFFICIENT_RESOURCES_AT_ROLE = 0x0B
    INVALID_NAME_LENGTH = 0x0C
    UNAUTHORIZED_NAME = 0x0D
    UNAUTHORIZED_GUID = 0x0E
    INVALID_INTEGRITY_CHECK_VALUE = 0x0F
    INVALID_CONFIDENTIALITY_ALGORITHM = 0x10
    NO_CIPHER_SUITE_MATCH = 0x11
    ILLEGAL_PARAMETER = 0x12


def _need(payload: bytes, length: int, field: str) -> None:
    if len(payload) < length:
        raise MalformedPacket(field, f"{len(payload)} bytes, need at least {length}")


# --------------------------------------------------------------------------- Open Session

_ALGORITHM_FIELDS = ("authentication", "integrity", "confidentiality")


@dataclass(frozen=True, slots=True)
class OpenSessionRequest:
    """RMCP+ Open Session Request; an algorithm of ``None`` is a null (wildcard) proposal."""

    tag: int
    requested_privilege: int
    console_session_id: int
    auth_algorithm: int | None
    integrity_algorithm: int | None
    confidentiality_algorithm: int | None


def decode_open_session_request(payload: bytes) -> OpenSessionRequest:
    """Decode an Open Session Request (32 bytes: header plus three 8-byte algorithm payloads)."""
    _need(payload, 32, "open_session_request.length")
    tag, privilege = payload[0], payload[1] & ROLE_PRIVILEGE_MASK
    (console_session_id,) = struct.unpack_from("<I", payload, 4)
    algorithms: list[int | None] = []
    for index, name in enumerate(_ALGORITHM_FIELDS):
        record = payload[8 + 8 * index : 16 + 8 * index]
        if record[0] != index:
            raise MalformedPacket(f"open_session_request.{name}.type", f"{record[0]:#04x}, expected {index}")
        if record[3] == 0:
            algorithms.append(None)
        elif record[3] == 8:
            algorithms.append(record[4] & 0x3F)
        else:
            raise MalformedPacket(f"open_session_request.{name}.length", f"{record[3]}, expected 0 or 8")
    return OpenSessionRequest(tag, privilege, console_session_id, algorithms[0], algorithms[1], algorithms[2])


def _algorithm_record(index: int, algorithm: int | None) -> bytes:
    if algorithm is None:
        return bytes([index, 0, 0, 0, 0, 0, 0, 0])
    return bytes([index, 0, 0, 8, algorithm, 0, 0, 0])


def encode_open_session_request(request: OpenSessionRequest) -> bytes:
    """Encode an Open Session Request (client side)."""
    out = bytes([request.tag, request.requested_privilege, 0, 0]) + struct.pack("<I", request.console_session_id)
    out += _algorithm_record(0, request.auth_algorithm)
    out += _algorithm_record(1, request.integrity_algorithm)
    return out + _algorithm_record(2, request.confidentiality_algorithm)


@dataclass(frozen=True, slots=True)
class OpenSessionResponse:
    """RMCP+ Open Session Response; on error only tag, status and console session ID matter."""

    tag: int
    status: int
    max_privilege: int
    console_session_id: int
    bmc_session_id: int = 0
    auth_algorithm: int = 0
    integrity_algorithm: int = 0
    confidentiality_algorithm: int = 0


def encode_open_session_response(response: OpenSessionResponse) -> bytes:
    """Encode a response; an error response is the 8-byte short form clients expect."""
    head = bytes([response.tag, response.status, response.max_privilege if not response.status else 0, 0])
    head += struct.pack("<I", response.console_session_id)
    if response.status:
        return head
    out = head + struct.pack("<I", response.bmc_session_id)
    out += _algorithm_record(0, response.auth_algorithm)
    out += _algorithm_record(1, response.integrity_algorithm)
    return out + _algorithm_record(2, response.confidentiality_algorithm)


def decode_open_session_response(payload: bytes) -> OpenSessionResponse:
    """Decode an Open Session Response (client side)."""
    _need(payload, 8, "open_session_response.length")
    tag, status, privilege = payload[0], payload[1], payload[2]
    (console_session_id,) = struct.unpack_from("<I", payload, 4)
    if status:
        return OpenSessionResponse(tag, status, privilege, console_session_id)
    _need(payload, 36, "open_session_response.length")
    (bmc_session_id,) = struct.unpack_from("<I", payload, 8)
    return OpenSessionResponse(
        tag, status, privilege, console_session_id, bmc_session_id, payload[16], payload[24], payload[32]
    )


# --------------------------------------------------------------------------- RAKP 1 and 2


@dataclass(frozen=True, slots=True)
class Rakp1:
    """RAKP Message 1; ``role`` is the whole requested-privilege byte (with the name-only bit)."""

    tag: int
    bmc_session_id: int
    console_random: bytes
    role: int
    username: bytes


def decode_rakp1(payload: bytes) -> Rakp1:
    """Decode RAKP Message 1 (28 bytes plus the user name)."""
    _need(payload, 28, "rakp1.length")
    (bmc_session_id,) = struct.unpack_from("<I", payload, 4)
    name_length = payload[27]
    username = payload[28 : 28 + name_length]
    if len(username) != name_length:
        raise MalformedPacket("rakp1.username", f"length says {name_length}, {len(username)} bytes present")
    return Rakp1(payload[0], bmc_session_id, payload[8:24], payload[24], username)


def encode_rakp1(message: Rakp1) -> bytes:
    """Encode RAKP Message 1 (client side)."""
    out = bytes([message.tag, 0, 0, 0]) + struct.pack("<I", message.bmc_session_id) + message.console_random
    return out + bytes([message.role, 0, 0, len(message.username)]) + message.username


@dataclass(frozen=True, slots=True)
class Rakp2:
    """RAKP Message 2; random number, GUID and auth code are absent on error."""

    tag: int
    status: int
    console_session_id: int
    bmc_random: bytes = b""
    guid: bytes = b""
    auth_code: bytes = b""


def encode_rakp2(message: Rakp2) -> bytes:
    """Encode RAKP Message 2 (8-byte short form on error)."""
    out = bytes([message.tag, message.status, 0, 0]) + struct.pack("<I", message.console_session_id)
    if message.status:
        return out
    return out + message.bmc_random + message.guid + message.auth_code


def decode_rakp2(payload: bytes) -> Rakp2:
    """Decode RAKP Message 2 (client side)."""
    _need(payload, 8, "rakp2.length")
    (console_session_id,) = struct.unpack_from("<I", payload, 4)
    if payload[1]:
        return Rakp2(payload[0], payload[1], console_session_id)
    _need(payload, 40, "rakp2.length")
    return Rakp2(payload[0], 0, console_session_id, payload[8:24], payload[24:40], payload[40:])


# --------------------------------------------------------------------------- RAKP 3 and 4


@dataclass(frozen=True, slots=True)
class Rakp3:
    """RAKP Message 3 from the console; a non-zero ``status`` aborts the handshake."""

    tag: int
    status: int
    bmc_session_id: int
    auth_code: bytes = b""


def decode_rakp3(payload: bytes) -> Rakp3:
    """Decode RAKP Message 3 (8 bytes plus the key exchange auth code)."""
    _need(payload, 8, "rakp3.length")
    (bmc_session_id,) = struct.unpack_from("<I", payload, 4)
    return Rakp3(payload[0], payload[1], bmc_session_id, payload[8:])


def encode_rakp3(message: Rakp3) -> bytes:
    """Encode RAKP Message 3 (client side)."""
    return bytes([message.tag, message.status, 0, 0]) + struct.pack("<I", message.bmc_session_id) + message.auth_code


@dataclass(frozen=True, slots=True)
class Rakp4:
    """RAKP Message 4; ``integrity_check_value`` is absent on error and for RAKP-none."""

    tag: int
    status: int
    console_session_id: int
    integrity_check_value: bytes = b""


def encode_rakp4(message: Rakp4) -> bytes:
    """Encode RAKP Message 4."""
    out = bytes([message.tag, message.status, 0, 0]) + struct.pack("<I", message.console_session_id)
    return out if message.status else out + message.integrity_check_value


def decode_rakp4(payload: bytes) -> Rakp4:
    """Decode RAKP Message 4 (client side)."""
    _need(payload, 8, "rakp4.length")
    (console_session_id,) = struct.unpack_from("<I", payload, 4)
    return Rakp4(payload[0], payload[1], console_session_id, payload[8:])
