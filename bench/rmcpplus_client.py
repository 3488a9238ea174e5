"""Client side of IPMI 2.0 RMCP+ for cipher suite 3, as pure functions and a sans-IO session.

Written independently of ``bmc_sim`` (the benchmark must not trust the code it
measures) from the IPMI 2.0 specification: packet format (section 13.6), Open
Session and RAKP 1-4 (13.17-13.23), key derivation (13.31-13.32), HMAC-SHA1-96
integrity (13.28.4) and AES-CBC-128 confidentiality (13.29).  Cipher suite 3 is
RAKP-HMAC-SHA1 / HMAC-SHA1-96 / AES-CBC-128.

:class:`Session` turns "what the client wants" into datagrams and datagrams
into results; it never touches a socket, so the same object serves the asyncio
load generator and unit tests.  Every check failure raises :class:`ProtocolError`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

RMCP_HEADER = b"\x06\x00\xff\x07"
AUTH_TYPE_RMCPPLUS = 0x06
PAYLOAD_IPMI = 0x00
PAYLOAD_OPEN_REQUEST = 0x10
PAYLOAD_OPEN_RESPONSE = 0x11
PAYLOAD_RAKP1 = 0x12
PAYLOAD_RAKP2 = 0x13
PAYLOAD_RAKP3 = 0x14
PAYLOAD_RAKP4 = 0x15
FLAG_ENCRYPTED = 0x80
FLAG_AUTHENTICATED = 0x40

BMC_ADDRESS = 0x20
CONSOLE_ADDRESS = 0x81
PRIVILEGE_ADMINISTRATOR = 4
NAME_ONLY_LOOKUP = 0x10
SHA1_96_LENGTH = 12
AES_BLOCK = 16


class ProtocolError(Exception):
    """A datagram that does not fit the exchange in progress (wrong type, bad HMAC, bad status...)."""


@dataclass(frozen=True, slots=True)
class IpmiResponse:
    """One IPMI response message: request sequence it answers, command, completion code, data."""

    netfn: int
    cmd: int
    rq_seq: int
    completion_code: int
    data: bytes


def checksum(data: bytes) -> int:
    """IPMI two's-complement checksum: the byte that makes ``data`` sum to zero mod 256."""
    return (-sum(data)) & 0xFF


def encode_ipmi_request(netfn: int, cmd: int, rq_seq: int, data: bytes = b"") -> bytes:
    """An IPMI LAN request message from the remote console (0x81) to the BMC (0x20), LUN 0."""
    head = bytes([BMC_ADDRESS, netfn << 2])
    body = bytes([CONSOLE_ADDRESS, (rq_seq & 0x3F) << 2, cmd]) + data
    return head + bytes([checksum(head)]) + body + bytes([checksum(body)])


def decode_ipmi_response(message: bytes) -> IpmiResponse:
    """Decode an IPMI LAN response message; both checksums must hold."""
    if len(message) < 8:
        raise ProtocolError(f"IPMI response of {len(message)} bytes is too short")
    if sum(message[0:3]) & 0xFF or sum(message[3:]) & 0xFF:
        raise ProtocolError("IPMI response checksum mismatch")
    return IpmiResponse(
        netfn=message[1] >> 2,
        cmd=message[5],
        rq_seq=message[4] >> 2,
        completion_code=message[6],
        data=bytes(message[7:-1]),
    )


def channel_auth_capabilities_probe(rq_seq: int = 1) -> bytes:
    """A sessionless IPMI 1.5 Get Channel Authentication Capabilities request (channel "this", admin)."""
    message = encode_ipmi_request(0x06, 0x38, rq_seq, bytes([0x8E, PRIVILEGE_ADMINISTRATOR]))
    return RMCP_HEADER + b"\x00" + b"\x00" * 8 + bytes([len(message)]) + message


def is_channel_auth_capabilities_response(datagram: bytes) -> bool:
    """True if ``datagram`` is a successful Get Channel Authentication Capabilities answer (v1.5 or v2 framing)."""
    if len(datagram) < 14 or datagram[:4] != RMCP_HEADER:
        return False
    try:
        if datagram[4] == AUTH_TYPE_RMCPPLUS:
            (length,) = struct.unpack_from("<H", datagram, 14)
            message = datagram[16 : 16 + length]
        else:
            message = datagram[14 : 14 + datagram[13]]
        response = decode_ipmi_response(message)
    except (ProtocolError, struct.error):
        return False
    return response.cmd == 0x38 and response.completion_code == 0


def _hmac_sha1(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, hashlib.sha1)


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(AES_BLOCK, "big")


class Session:
    """One RMCP+ session with cipher suite 3, driven step by step.

    Call in order: :meth:`open_request`, :meth:`rakp1` (with the Open Session
    Response), :meth:`rakp3` (with RAKP 2), :meth:`accept_rakp4`; afterwards
    :meth:`request` / :meth:`response` any number of times and finally
    :meth:`close_request`.  Console session IDs and random numbers come from
    :mod:`secrets` (security, not behaviour).
    """

    def __init__(self, username: str, password: str, privilege: int = PRIVILEGE_ADMINISTRATOR) -> None:
        self.username = username.encode()
        self.kuid = password.encode()
        self.role = privilege | NAME_ONLY_LOOKUP
        self.console_sid = struct.pack("<I", secrets.randbits(31) | 1)
        self.managed_sid = b"\x00" * 4
        self.tag = 0
        self.rm = secrets.token_bytes(16)
        self.rc = b""
        self.guid = b""
        self.sik = b""
        self.k1 = b""
        self.aes_key = b""
        self.outbound_seq = 0
        self.rq_seq = 0
        self.active = False
        self._aes: tuple[Any, Any] | None = None

    # ----------------------------------------------------------------- framing

    @staticmethod
    def _unauthenticated(payload_type: int, payload: bytes) -> bytes:
        return (
            RMCP_HEADER + bytes([AUTH_TYPE_RMCPPLUS, payload_type]) + struct.pack("<IIH", 0, 0, len(payload)) + payload
        )

    @staticmethod
    def _split(datagram: bytes) -> tuple[int, int, bytes]:
        """(payload type byte, session id, payload) of an RMCP+ datagram; the trailer is not checked here."""
        if len(datagram) < 16 or datagram[:4] != RMCP_HEADER or datagram[4] != AUTH_TYPE_RMCPPLUS:
            raise ProtocolError("not an RMCP+ datagram")
        session_id, _seq, length = struct.unpack_from("<IIH", datagram, 6)
        payload = datagram[16 : 16 + length]
        if len(payload) != length:
            raise ProtocolError("RMCP+ payload shorter than its length field")
        return datagram[5], session_id, payload

    def _expect(self, datagram: bytes, payload_type: int, minimum: int) -> bytes:
        kind, _sid, payload = self._split(datagram)
        if kind & 0x3F != payload_type:
            raise ProtocolError(f"payload type {kind & 0x3F:#04x}, expected {payload_type:#04x}")
        if len(payload) < minimum:
            raise ProtocolError(f"payload type {payload_type:#04x} of {len(payload)} bytes, need {minimum}")
        if payload[0] != self.tag:
            raise ProtocolError("message tag does not match")
        if payload[1] != 0:
            raise ProtocolError(f"status code {payload[1]:#04x} in payload type {payload_type:#04x}")
        return payload

    # ----------------------------------------------------------------- handshake

    def open_request(self) -> bytes:
        """RMCP+ Open Session Request proposing exactly cipher suite 3 at the requested privilege."""
        self.tag = (self.tag + 1) & 0xFF
        payload = (
            bytes([self.tag, self.role & 0x0F, 0, 0])
            + self.console_sid
            + bytes([0x00, 0, 0, 8, 0x01, 0, 0, 0])  # authentication: RAKP-HMAC-SHA1
            + bytes([0x01, 0, 0, 8, 0x01, 0, 0, 0])  # integrity: HMAC-SHA1-96
            + bytes([0x02, 0, 0, 8, 0x01, 0, 0, 0])  # confidentiality: AES-CBC-128
        )
        return self._unauthenticated(PAYLOAD_OPEN_REQUEST, payload)

    def rakp1(self, open_response: bytes) -> bytes:
        """Check the Open Session Response and return RAKP message 1."""
        payload = self._expect(open_response, PAYLOAD_OPEN_RESPONSE, 36)
        if payload[4:8] != self.console_sid:
            raise ProtocolError("open session response for another console session")
        if (payload[12], payload[20], payload[28]) != (0x00, 0x01, 0x02):
            raise ProtocolError("open session response does not carry the three algorithm records")
        if (payload[16] & 0x3F, payload[24] & 0x3F, payload[32] & 0x3F) != (1, 1, 1):
            raise ProtocolError("BMC chose algorithms other than cipher suite 3")
        self.managed_sid = bytes(payload[8:12])
        body = (
            bytes([self.tag, 0, 0, 0])
            + self.managed_sid
            + self.rm
            + bytes([self.role, 0, 0, len(self.username)])
            + self.username
        )
        return self._unauthenticated(PAYLOAD_RAKP1, body)

    def _role_and_name(self) -> bytes:
        return bytes([self.role, len(self.username)]) + self.username

    def rakp3(self, rakp2: bytes) -> bytes:
        """Verify RAKP 2 (the BMC proves it knows the password), derive SIK/K1/K2, return RAKP 3."""
        payload = self._expect(rakp2, PAYLOAD_RAKP2, 60)
        if payload[4:8] != self.console_sid:
            raise ProtocolError("RAKP 2 for another console session")
        self.rc = bytes(payload[8:24])
        self.guid = bytes(payload[24:40])
        expected = _hmac_sha1(
            self.kuid, self.console_sid + self.managed_sid + self.rm + self.rc + self.guid + self._role_and_name()
        )
        if not hmac.compare_digest(expected, bytes(payload[40:60])):
            raise ProtocolError("RAKP 2 key exchange authentication code is wrong (bad password?)")
        self.sik = _hmac_sha1(self.kuid, self.rm + self.rc + self._role_and_name())
        self.k1 = _hmac_sha1(self.sik, b"\x01" * 20)
        self.aes_key = _hmac_sha1(self.sik, b"\x02" * 20)[:16]
        auth = _hmac_sha1(self.kuid, self.rc + self.console_sid + self._role_and_name())
        return self._unauthenticated(PAYLOAD_RAKP3, bytes([self.tag, 0, 0, 0]) + self.managed_sid + auth)

    def accept_rakp4(self, rakp4: bytes) -> None:
        """Verify RAKP 4 (integrity check value over Rm, SIDc, GUID) and activate the session."""
        payload = self._expect(rakp4, PAYLOAD_RAKP4, 8 + SHA1_96_LENGTH)
        if payload[4:8] != self.console_sid:
            raise ProtocolError("RAKP 4 for another console session")
        expected = _hmac_sha1(self.sik, self.rm + self.managed_sid + self.guid)[:SHA1_96_LENGTH]
        if not hmac.compare_digest(expected, bytes(payload[8 : 8 + SHA1_96_LENGTH])):
            raise ProtocolError("RAKP 4 integrity check value is wrong")
        self.active = True

    # ----------------------------------------------------------------- session traffic

    def _cipher(self) -> tuple[Any, Any]:
        """AES-128 block encryptor and decryptor (ECB, reused); CBC chaining is done in :meth:`_encrypt`."""
        if self._aes is None:
            cipher = Cipher(algorithms.AES(self.aes_key), modes.ECB())
            self._aes = (cipher.encryptor(), cipher.decryptor())
        return self._aes

    def _encrypt(self, plain: bytes) -> bytes:
        """IV plus AES-CBC of ``plain`` with the confidentiality trailer (pad bytes 1, 2, ... and pad length)."""
        pad = (AES_BLOCK - (len(plain) + 1) % AES_BLOCK) % AES_BLOCK
        padded = plain + bytes(range(1, pad + 1)) + bytes([pad])
        iv = os.urandom(AES_BLOCK)
        encryptor, _ = self._cipher()
        out, previous = [iv], iv
        for offset in range(0, len(padded), AES_BLOCK):
            previous = encryptor.update(_xor(padded[offset : offset + AES_BLOCK], previous))
            out.append(previous)
        return b"".join(out)

    def _decrypt(self, payload: bytes) -> bytes:
        """Inverse of :meth:`_encrypt`: strip IV, decrypt CBC, drop the confidentiality trailer."""
        if len(payload) < 2 * AES_BLOCK or len(payload) % AES_BLOCK:
            raise ProtocolError(f"encrypted payload of {len(payload)} bytes is not IV plus whole blocks")
        _, decryptor = self._cipher()
        blocks = []
        for offset in range(AES_BLOCK, len(payload), AES_BLOCK):
            block = decryptor.update(payload[offset : offset + AES_BLOCK])
            blocks.append(_xor(block, payload[offset - AES_BLOCK : offset]))
        plain = b"".join(blocks)
        pad = plain[-1]
        if pad >= len(plain):
            raise ProtocolError("confidentiality pad longer than the payload")
        return plain[: -1 - pad]

    def request(self, netfn: int, cmd: int, data: bytes = b"") -> tuple[bytes, int]:
        """An encrypted, authenticated IPMI request datagram and the request sequence number it carries."""
        if not self.active:
            raise ProtocolError("session is not active")
        self.rq_seq = (self.rq_seq + 1) & 0x3F
        self.outbound_seq = (self.outbound_seq + 1) & 0xFFFFFFFF or 1
        payload = self._encrypt(encode_ipmi_request(netfn, cmd, self.rq_seq, data))
        head = bytes([AUTH_TYPE_RMCPPLUS, PAYLOAD_IPMI | FLAG_ENCRYPTED | FLAG_AUTHENTICATED])
        head += self.managed_sid + struct.pack("<IH", self.outbound_seq, len(payload))
        covered = head + payload
        pad = (4 - (len(covered) + 2) % 4) % 4
        covered += b"\xff" * pad + bytes([pad, 0x07])
        return RMCP_HEADER + covered + _hmac_sha1(self.k1, covered)[:SHA1_96_LENGTH], self.rq_seq

    def response(self, datagram: bytes) -> IpmiResponse:
        """Authenticate, decrypt and decode an IPMI response datagram of this session."""
        kind, session_id, payload = self._split(datagram)
        if kind & 0x3F != PAYLOAD_IPMI:
            raise ProtocolError(f"payload type {kind & 0x3F:#04x} where an IPMI response was expected")
        if struct.pack("<I", session_id) != self.console_sid:
            raise ProtocolError("IPMI response for another session")
        if not kind & FLAG_AUTHENTICATED:
            raise ProtocolError("unauthenticated IPMI response inside a session")
        covered, code = datagram[4:-SHA1_96_LENGTH], datagram[-SHA1_96_LENGTH:]
        if not hmac.compare_digest(_hmac_sha1(self.k1, covered)[:SHA1_96_LENGTH], code):
            raise ProtocolError("IPMI response integrity check failed")
        message = self._decrypt(payload) if kind & FLAG_ENCRYPTED else payload
        return decode_ipmi_response(message)

    def close_request(self) -> tuple[bytes, int]:
        """Close Session (netfn App, cmd 0x3c) for this session."""
        return self.request(0x06, 0x3C, self.managed_sid)
