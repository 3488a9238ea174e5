"""IPMI-over-LAN wire codec: RMCP, ASF presence ping, IPMI 1.5 and 2.0 session headers, LAN messages.

Pure functions over ``bytes`` and immutable records; no state, no I/O.  Every
decode error raises :class:`MalformedPacket` naming the packet field that is
wrong.  Multi-byte IPMI integers are little endian; the ASF IANA number is big
endian (IPMI 2.0 section 13.2 and DSP0136).

The RMCP+ payloads of the session handshake (Open Session, RAKP 1-4) live in
:mod:`bmc_sim.rmcpplus`.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple


class MalformedPacket(ValueError):
    """A datagram that cannot be decoded; ``field`` names the offending packet field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# --------------------------------------------------------------------------- RMCP and ASF

RMCP_VERSION_1 = 0x06
RMCP_SEQUENCE_NO_ACK = 0xFF
RMCP_HEADER_LENGTH = 4


class RmcpClass(enum.IntEnum):
    """RMCP message classes (DSP0136 table 3)."""

    ASF = 0x06
    IPMI = 0x07


ASF_IANA = 4542
ASF_PRESENCE_PING = 0x80
ASF_PRESENCE_PONG = 0x40
ASF_SUPPORTS_IPMI = 0x81  # supported entities: IPMI, ASF version 1.0


@dataclass(frozen=True, slots=True)
class RmcpHeader:
    """The 4-byte RMCP header; ``is_ack`` is bit 7 of the class byte."""

    sequence: int
    message_class: int
    is_ack: bool = False


def decode_rmcp(datagram: bytes) -> tuple[RmcpHeader, bytes]:
    """Split a datagram into its RMCP header and the class-specific body."""
    if len(datagram) < RMCP_HEADER_LENGTH:
        raise MalformedPacket("rmcp.header", f"{len(datagram)} bytes, need {RMCP_HEADER_LENGTH}")
    version, _reserved, sequence, class_byte = datagram[:RMCP_HEADER_LENGTH]
    if version != RMCP_VERSION_1:
        raise MalformedPacket("rmcp.version", f"{version:#04x}, expected {RMCP_VERSION_1:#04x}")
    header = RmcpHeader(sequence, class_byte & 0x1F, bool(class_byte & 0x80))
    return header, datagram[RMCP_HEADER_LENGTH:]


def encode_rmcp(message_class: int, body: bytes, sequence: int = RMCP_SEQUENCE_NO_ACK) -> bytes:
    """Prefix ``body`` with an RMCP header of ``message_class``."""
    return bytes([RMCP_VERSION_1, 0, sequence, message_class]) + body


@dataclass(frozen=True, slots=True)
class AsfMessage:
    """An ASF message (presence ping/pong) carried in an RMCP ASF-class packet."""

    iana: int
    message_type: int
    tag: int
    data: bytes = b""


def decode_asf(body: bytes) -> AsfMessage:
    """Decode the body of an ASF-class RMCP packet."""
    if len(body) < 8:
        raise MalformedPacket("asf.header", f"{len(body)} bytes, need 8")
    iana, message_type, tag, _reserved, length = struct.unpack_from(">IBBBB", body)
    data = body[8 : 8 + length]
    if len(data) != length:
        raise MalformedPacket("asf.data_length", f"says {length}, {len(data)} present")
    return AsfMessage(iana, message_type, tag, data)


def encode_asf(message: AsfMessage) -> bytes:
    """A complete RMCP datagram carrying ``message``."""
    header = struct.pack(">IBBBB", message.iana, message.message_type, message.tag, 0, len(message.data))
    return encode_rmcp(RmcpClass.ASF, header + message.data)


def presence_pong(tag: int) -> bytes:
    """The presence pong answering a ping with ``tag``: IPMI supported, no OEM data."""
    data = struct.pack(">II", ASF_IANA, 0) + bytes([ASF_SUPPORTS_IPMI, 0]) + bytes(6)
    return encode_asf(AsfMessage(ASF_IANA, ASF_PRESENCE_PONG, tag, data))


# --------------------------------------------------------------------------- IPMI 1.5 session

AUTH_TYPE_RMCPPLUS = 0x06
AUTH_CODE_15_LENGTH = 16
_AUTH_TYPES_15 = frozenset({0, 1, 2, 4, 5})


@dataclass(frozen=True, slots=True)
class Session15Header:
    """IPMI 1.5 session header; ``auth_code`` is empty exactly when ``auth_type`` is NONE (0)."""

    auth_type: int
    sequence: int
    session_id: int
    auth_code: bytes = b""


def decode_session15(body: bytes) -> tuple[Session15Header, bytes]:
    """Decode an IPMI 1.5 session header; returns it and the IPMI message it frames.

    Bytes after the message (the legacy pad some clients add) are ignored.
    """
    if len(body) < 10:
        raise MalformedPacket("session.header", f"{len(body)} bytes, need at least 10")
    auth_type = body[0] & 0x0F
    if auth_type not in _AUTH_TYPES_15:
        raise MalformedPacket("session.auth_type", f"unknown authentication type {body[0]:#04x}")
    sequence, session_id = struct.unpack_from("<II", body, 1)
    offset = 9
    auth_code = b""
    if auth_type != 0:
        auth_code = body[offset : offset + AUTH_CODE_15_LENGTH]
        offset += AUTH_CODE_15_LENGTH
        if len(body) <= offset:
            raise MalformedPacket("session.auth_code", "packet ends inside the authentication code")
    length = body[offset]
    message = body[offset + 1 : offset + 1 + length]
    if len(message) != length:
        raise MalformedPacket("session.message_length", f"says {length}, {len(message)} present")
    return Session15Header(auth_type, sequence, session_id, auth_code), message


def encode_session15(header: Session15Header, message: bytes) -> bytes:
    """Encode an IPMI 1.5 session header plus ``message`` (without the RMCP header)."""
    out = bytes([header.auth_type]) + struct.pack("<II", header.sequence, header.session_id)
    if header.auth_type != 0:
        if len(header.auth_code) != AUTH_CODE_15_LENGTH:
            raise ValueError("an IPMI 1.5 authentication code is 16 bytes")
        out += header.auth_code
    return out + bytes([len(message)]) + message


# --------------------------------------------------------------------------- IPMI 2.0 / RMCP+ session

RMCPPLUS_HEADER_LENGTH = 12
INTEGRITY_NEXT_HEADER = 0x07
_RMCPPLUS_HEADER = struct.Struct("<BBIIH")  # auth type, payload type, session ID, sequence, payload length
_SESSION_FIELDS = struct.Struct("<IIH")
# The integrity trailer before the AuthCode for each pad length: 0xFF pad, pad length, next header.
_INTEGRITY_PADS = tuple(b"\xff" * n + bytes([n, INTEGRITY_NEXT_HEADER]) for n in range(4))


class PayloadType(enum.IntEnum):
    """RMCP+ payload types (IPMI 2.0 table 13-16)."""

    IPMI = 0x00
    SOL = 0x01
    OEM_EXPLICIT = 0x02
    OPEN_SESSION_REQUEST = 0x10
    OPEN_SESSION_RESPONSE = 0x11
    RAKP1 = 0x12
    RAKP2 = 0x13
    RAKP3 = 0x14
    RAKP4 = 0x15


class RmcpPlusPacket(NamedTuple):
    """An IPMI 2.0 session packet as decoded, before any integrity check or decryption.

    ``payload`` is the payload as on the wire (confidentiality header and
    ciphertext when ``encrypted``); ``payload_end`` is its end offset in the
    session body, where the integrity trailer (if any) starts.  A named tuple,
    not a frozen dataclass: one is decoded per datagram and a tuple is built
    in less than half the time.
    """

    payload_type: int
    encrypted: bool
    authenticated: bool
    session_id: int
    sequence: int
    payload: bytes
    payload_end: int


def decode_rmcpplus(body: bytes) -> RmcpPlusPacket:
    """Decode the RMCP+ session header of ``body`` (which starts at the auth type byte)."""
    if len(body) < RMCPPLUS_HEADER_LENGTH:
        raise MalformedPacket("session.header", f"{len(body)} bytes, need {RMCPPLUS_HEADER_LENGTH}")
    if body[0] != AUTH_TYPE_RMCPPLUS:
        raise MalformedPacket("session.auth_type", f"{body[0]:#04x} is not the RMCP+ format (0x06)")
    type_byte = body[1]
    payload_type = type_byte & 0x3F
    if payload_type == PayloadType.OEM_EXPLICIT:
        raise MalformedPacket("session.payload_type", "OEM explicit payloads are not supported")
    session_id, sequence, length = _SESSION_FIELDS.unpack_from(body, 2)
    end = RMCPPLUS_HEADER_LENGTH + length
    payload = body[RMCPPLUS_HEADER_LENGTH:end]
    if len(payload) != length:
        raise MalformedPacket("session.payload_length", f"says {length}, {len(payload)} present")
    return RmcpPlusPacket(
        payload_type, bool(type_byte & 0x80), bool(type_byte & 0x40), session_id, sequence, payload, end
    )


def split_integrity_trailer(body: bytes, payload_end: int, auth_code_length: int) -> tuple[bytes, bytes]:
    """Check the integrity trailer after ``payload_end``; return (signed bytes, auth code).

    The trailer is 0xFF pad bytes, the pad length, next header 0x07 and the
    AuthCode (IPMI 2.0 table 13-8).  The signed bytes run from the auth type
    byte through the next header byte.
    """
    trailer_length = len(body) - payload_end
    if trailer_length < 2 + auth_code_length:
        raise MalformedPacket("integrity.trailer", f"{trailer_length} bytes, need at least {2 + auth_code_length}")
    signed_end = len(body) - auth_code_length
    pad_length, next_header = body[signed_end - 2], body[signed_end - 1]
    if next_header != INTEGRITY_NEXT_HEADER:
        raise MalformedPacket("integrity.next_header", f"{next_header:#04x}, expected 0x07")
    pad = body[payload_end : signed_end - 2]
    if len(pad) != pad_length:
        raise MalformedPacket("integrity.pad_length", f"says {pad_length}, {len(pad)} pad bytes present")
    if pad.count(0xFF) != pad_length:
        raise MalformedPacket("integrity.pad", "pad bytes must be 0xFF")
    return body[:signed_end], body[signed_end:]


def encode_rmcpplus(
    payload_type: int,
    session_id: int,
    sequence: int,
    payload: bytes,
    *,
    encrypted: bool = False,
    integrity: Callable[[bytes], bytes] | None = None,
) -> bytes:
    """Encode an RMCP+ session body (no RMCP header).

    With ``integrity`` the authenticated bit is set and the trailer is added:
    0xFF pad so the signed bytes are a multiple of 4 long, pad length, next
    header, then ``integrity(signed bytes)`` as the AuthCode.
    """
    type_byte = payload_type | (0x80 if encrypted else 0) | (0x40 if integrity else 0)
    head = _RMCPPLUS_HEADER.pack(AUTH_TYPE_RMCPPLUS, type_byte, session_id, sequence, len(payload)) + payload
    if integrity is None:
        return head
    signed = head + _INTEGRITY_PADS[(4 - (len(head) + 2) % 4) % 4]
    return signed + integrity(signed)


# --------------------------------------------------------------------------- IPMI LAN message

BMC_SLAVE_ADDRESS = 0x20
REMOTE_CONSOLE_SWID = 0x81
LAN_MESSAGE_MIN_LENGTH = 7


class LanMessage(NamedTuple):
    """One IPMI LAN message (IPMI 2.0 figure 13-4).

    For a request the target is the responder (rsAddr/rsLUN) and the source the
    requester (rqAddr/rqLUN); a response swaps them.  ``sequence`` is rqSeq
    (6 bits).  A response's ``data`` starts with the completion code.  A named
    tuple like :class:`RmcpPlusPacket`, decoded once per request.
    """

    target_address: int
    netfn: int
    target_lun: int
    source_address: int
    sequence: int
    source_lun: int
    cmd: int
    data: bytes = b""


def checksum(data: bytes) -> int:
    """IPMI 8-bit two's complement checksum: ``sum(data) + checksum == 0 (mod 256)``."""
    return -sum(data) & 0xFF


def decode_lan_message(message: bytes) -> LanMessage:
    """Decode an IPMI LAN message and verify both checksums."""
    if len(message) < LAN_MESSAGE_MIN_LENGTH:
        raise MalformedPacket("message.length", f"{len(message)} bytes, need at least {LAN_MESSAGE_MIN_LENGTH}")
    if sum(message[:3]) & 0xFF:
        raise MalformedPacket("message.checksum1", f"{message[2]:#04x} does not match the header")
    if sum(message[3:]) & 0xFF:
        raise MalformedPacket("message.checksum2", f"{message[-1]:#04x} does not match the body")
    # target address, netFn, target LUN, source address, rqSeq, source LUN, command, data
    return LanMessage(
        message[0],
        message[1] >> 2,
        message[1] & 0x03,
        message[3],
        message[4] >> 2,
        message[4] & 0x03,
        message[5],
        bytes(message[6:-1]),
    )


def encode_lan_message(message: LanMessage) -> bytes:
    """Encode ``message`` with both checksums."""
    head = bytes([message.target_address, (message.netfn << 2) | (message.target_lun & 0x03)])
    body = bytes([message.source_address, ((message.sequence & 0x3F) << 2) | (message.source_lun & 0x03)])
    body += bytes([message.cmd]) + message.data
    return head + bytes([checksum(head)]) + body + bytes([checksum(body)])


def encode_response(request: LanMessage, completion_code: int, data: bytes = b"") -> bytes:
    """The encoded response to ``request``: ``encode_lan_message(response_to(request, completion_code, data))``."""
    head = bytes((request.source_address, ((request.netfn | 0x01) << 2) | (request.source_lun & 0x03)))
    body = bytes(
        (
            request.target_address,
            ((request.sequence & 0x3F) << 2) | (request.target_lun & 0x03),
            request.cmd,
            completion_code & 0xFF,
        )
    )
    body += data
    return head + bytes((checksum(head),)) + body + bytes((checksum(body),))


def response_to(request: LanMessage, completion_code: int, data: bytes = b"") -> LanMessage:
    """The response message for ``request``: netFn | 1, same rqSeq and command, addresses swapped."""
    return LanMessage(
        target_address=request.source_address,
        netfn=request.netfn | 0x01,
        target_lun=request.source_lun,
        source_address=request.target_address,
        sequence=request.sequence,
        source_lun=request.target_lun,
        cmd=request.cmd,
        data=bytes([completion_code & 0xFF]) + data,
    )
