"""Small IPMI clients built from bmc_sim's own wire and crypto code, for in-memory tests.

``send`` is any callable that takes a datagram and returns the reply datagrams
(normally ``lambda d: endpoint.datagram_received(d, peer)``).  The clients
verify what the BMC sends (RAKP 2 HMAC, RAKP 4 ICV, integrity, 1.5 auth codes)
so a test fails if the BMC computes anything differently from the spec.
"""

from __future__ import annotations

import functools
import hmac
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from bmc_sim import crypto, rmcpplus, wire
from bmc_sim.config import AuthType15, Privilege

Send = Callable[[bytes], list[bytes]]


class NoReply(AssertionError):
    """The BMC sent nothing back."""


class LoginRefused(AssertionError):
    def __init__(self, step: str, status: int) -> None:
        super().__init__(f"{step} refused with status {status:#04x}")
        self.step = step
        self.status = status


def _one(replies: list[bytes]) -> bytes:
    if not replies:
        raise NoReply("no reply")
    assert len(replies) == 1, replies
    return replies[0]


def lan_request(netfn: int, cmd: int, data: bytes = b"", sequence: int = 1) -> bytes:
    message = wire.LanMessage(wire.BMC_SLAVE_ADDRESS, netfn, 0, wire.REMOTE_CONSOLE_SWID, sequence, 0, cmd, data)
    return wire.encode_lan_message(message)


def parse_response(message: bytes, netfn: int, cmd: int) -> tuple[int, bytes]:
    decoded = wire.decode_lan_message(message)
    assert decoded.netfn == netfn | 1 and decoded.cmd == cmd, decoded
    assert decoded.target_address == wire.REMOTE_CONSOLE_SWID and decoded.source_address == wire.BMC_SLAVE_ADDRESS
    return decoded.data[0], decoded.data[1:]


def sessionless15(send: Send, netfn: int, cmd: int, data: bytes = b"") -> tuple[int, bytes]:
    """A request outside any session in the IPMI 1.5 format (how clients ask for capabilities)."""
    body = wire.encode_session15(wire.Session15Header(0, 0, 0), lan_request(netfn, cmd, data))
    reply = _one(send(wire.encode_rmcp(wire.RmcpClass.IPMI, body)))
    _, rest = wire.decode_rmcp(reply)
    header, message = wire.decode_session15(rest)
    assert header == wire.Session15Header(0, 0, 0)
    return parse_response(message, netfn, cmd)


def sessionless20(send: Send, netfn: int, cmd: int, data: bytes = b"") -> tuple[int, bytes]:
    """A request outside any session in the RMCP+ format."""
    body = wire.encode_rmcpplus(wire.PayloadType.IPMI, 0, 0, lan_request(netfn, cmd, data))
    reply = _one(send(wire.encode_rmcp(wire.RmcpClass.IPMI, body)))
    _, rest = wire.decode_rmcp(reply)
    packet = wire.decode_rmcpplus(rest)
    assert (packet.session_id, packet.sequence, packet.authenticated, packet.encrypted) == (0, 0, False, False)
    return parse_response(packet.payload, netfn, cmd)


@dataclass
class LanplusClient:
    """An RMCP+ client for one cipher suite; every step checks what the BMC proves."""

    send: Send
    username: bytes = b"admin"
    password: bytes = b"admin"
    suite_id: int = 3
    role: int = Privilege.ADMINISTRATOR | rmcpplus.ROLE_NAME_ONLY_LOOKUP
    console_session_id: int = 0x11223344
    guid: bytes = b""
    tag: int = 0
    bmc_session_id: int = 0
    sequence: int = 0
    rq_seq: int = 0
    console_random: bytes = field(default_factory=lambda: os.urandom(16))
    bmc_random: bytes = b""
    keys: crypto.SessionKeys | None = None

    @property
    def suite(self) -> crypto.CipherSuite:
        return crypto.CIPHER_SUITES[self.suite_id]

    def _handshake(self, payload_type: wire.PayloadType, payload: bytes, reply_type: wire.PayloadType) -> bytes:
        body = wire.encode_rmcpplus(payload_type, 0, 0, payload)
        reply = _one(self.send(wire.encode_rmcp(wire.RmcpClass.IPMI, body)))
        packet = wire.decode_rmcpplus(wire.decode_rmcp(reply)[1])
        assert packet.payload_type == reply_type and packet.session_id == 0
        return packet.payload

    def open_session(self, privilege: int = 0) -> rmcpplus.OpenSessionResponse:
        suite = self.suite
        request = rmcpplus.OpenSessionRequest(
            self.tag, privilege, self.console_session_id, suite.auth, suite.integrity, suite.confidentiality
        )
        payload = rmcpplus.encode_open_session_request(request)
        reply = self._handshake(wire.PayloadType.OPEN_SESSION_REQUEST, payload, wire.PayloadType.OPEN_SESSION_RESPONSE)
        response = rmcpplus.decode_open_session_response(reply)
        assert response.tag == self.tag and response.console_session_id == self.console_session_id
        self.bmc_session_id = response.bmc_session_id
        return response

    def rakp1(self, *, verify: bool = True) -> rmcpplus.Rakp2:
        self.tag += 1
        message = rmcpplus.Rakp1(self.tag, self.bmc_session_id, self.console_random, self.role, self.username)
        reply = self._handshake(wire.PayloadType.RAKP1, rmcpplus.encode_rakp1(message), wire.PayloadType.RAKP2)
        rakp2 = rmcpplus.decode_rakp2(reply)
        assert rakp2.tag == self.tag
        if rakp2.status:
            return rakp2
        assert rakp2.console_session_id == self.console_session_id
        self.bmc_random, self.guid = rakp2.bmc_random, rakp2.guid
        if not verify:
            return rakp2
        expected = crypto.rakp2_auth_code(
            self.suite.auth,
            self.password,
            console_session_id=self.console_session_id,
            bmc_session_id=self.bmc_session_id,
            console_random=self.console_random,
            bmc_random=self.bmc_random,
            guid=self.guid,
            role=self.role,
            username=self.username,
        )
        assert hmac.compare_digest(expected, rakp2.auth_code), "RAKP 2 HMAC does not match (wrong password?)"
        return rakp2

    def rakp3(self, *, status: int = 0, tamper: bool = False) -> rmcpplus.Rakp4 | None:
        self.tag += 1
        code = crypto.rakp3_auth_code(
            self.suite.auth,
            self.password,
            bmc_random=self.bmc_random,
            console_session_id=self.console_session_id,
            role=self.role,
            username=self.username,
        )
        if tamper:
            code = bytes([code[0] ^ 1]) + code[1:]
        message = rmcpplus.Rakp3(self.tag, status, self.bmc_session_id, code)
        body = wire.encode_rmcpplus(wire.PayloadType.RAKP3, 0, 0, rmcpplus.encode_rakp3(message))
        replies = self.send(wire.encode_rmcp(wire.RmcpClass.IPMI, body))
        if not replies:
            return None
        packet = wire.decode_rmcpplus(wire.decode_rmcp(_one(replies))[1])
        assert packet.payload_type == wire.PayloadType.RAKP4
        rakp4 = rmcpplus.decode_rakp4(packet.payload)
        if rakp4.status:
            return rakp4
        sik = crypto.session_integrity_key(
            self.suite.auth,
            self.password,
            console_random=self.console_random,
            bmc_random=self.bmc_random,
            role=self.role,
            username=self.username,
        )
        icv = crypto.rakp4_integrity_check_value(
            self.suite.auth, sik, console_random=self.console_random, bmc_session_id=self.bmc_session_id, guid=self.guid
        )
        assert hmac.compare_digest(icv, rakp4.integrity_check_value), "RAKP 4 ICV does not match"
        self.keys = crypto.derive_session_keys(self.suite.auth, sik)
        return rakp4

    def login(self, privilege: int = Privilege.ADMINISTRATOR) -> None:
        """Open Session, RAKP 1-4 and Set Session Privilege Level; raises :class:`LoginRefused`."""
        response = self.open_session()
        if response.status:
            raise LoginRefused("open session", response.status)
        rakp2 = self.rakp1()
        if rakp2.status:
            raise LoginRefused("rakp1", rakp2.status)
        rakp4 = self.rakp3()
        assert rakp4 is not None
        if rakp4.status:
            raise LoginRefused("rakp3", rakp4.status)
        if privilege > Privilege.USER:
            code, data = self.command(0x06, 0x3B, bytes([privilege]))
            assert (code, data) == (0, bytes([privilege])), (code, data)

    def packet(self, netfn: int, cmd: int, data: bytes = b"", *, sequence: int | None = None) -> bytes:
        """An in-session request datagram (advances the session sequence number unless given)."""
        assert self.keys is not None
        suite = self.suite
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        self.rq_seq = (self.rq_seq + 1) % 64
        payload = lan_request(netfn, cmd, data, self.rq_seq)
        encrypted = suite.confidentiality != crypto.ConfidentialityAlgorithm.NONE
        if encrypted:
            payload = crypto.aes_encrypt_payload(self.keys.aes_key, payload, os.urandom(16))
        integrity = None
        if suite.integrity != crypto.IntegrityAlgorithm.NONE:
            integrity = functools.partial(crypto.integrity_auth_code, suite.integrity, self.keys.k1)
        body = wire.encode_rmcpplus(
            wire.PayloadType.IPMI, self.bmc_session_id, sequence, payload, encrypted=encrypted, integrity=integrity
        )
        return wire.encode_rmcp(wire.RmcpClass.IPMI, body)

    def parse(self, datagram: bytes, netfn: int, cmd: int) -> tuple[int, bytes]:
        """Check a reply's session ID, integrity and encryption; return (completion code, data)."""
        assert self.keys is not None
        suite = self.suite
        body = wire.decode_rmcp(datagram)[1]
        packet = wire.decode_rmcpplus(body)
        assert packet.session_id == self.console_session_id
        if suite.integrity != crypto.IntegrityAlgorithm.NONE:
            assert packet.authenticated
            length = crypto.integrity_code_length(suite.integrity)
            signed, code = wire.split_integrity_trailer(body, packet.payload_end, length)
            assert len(signed) % 4 == 0
            assert code == crypto.integrity_auth_code(suite.integrity, self.keys.k1, signed), "bad reply AuthCode"
        payload = packet.payload
        if suite.confidentiality != crypto.ConfidentialityAlgorithm.NONE:
            assert packet.encrypted
            payload = crypto.aes_decrypt_payload(self.keys.aes_key, payload)
        return parse_response(payload, netfn, cmd)

    def command(self, netfn: int, cmd: int, data: bytes = b"") -> tuple[int, bytes]:
        return self.parse(_one(self.send(self.packet(netfn, cmd, data))), netfn, cmd)

    def sol_packet(self, payload: bytes, *, encrypted: bool = True) -> bytes:
        """An SOL payload datagram in this session (signed as negotiated; encrypted if asked and negotiated)."""
        assert self.keys is not None
        suite = self.suite
        self.sequence += 1
        encrypted = encrypted and suite.confidentiality != crypto.ConfidentialityAlgorithm.NONE
        if encrypted:
            payload = crypto.aes_encrypt_payload(self.keys.aes_key, payload, os.urandom(16))
        integrity = None
        if suite.integrity != crypto.IntegrityAlgorithm.NONE:
            integrity = functools.partial(crypto.integrity_auth_code, suite.integrity, self.keys.k1)
        body = wire.encode_rmcpplus(
            wire.PayloadType.SOL, self.bmc_session_id, self.sequence, payload, encrypted=encrypted, integrity=integrity
        )
        return wire.encode_rmcp(wire.RmcpClass.IPMI, body)

    def open_sol(self, datagram: bytes) -> bytes:
        """The SOL payload of a datagram from the BMC, its session ID and AuthCode checked."""
        assert self.keys is not None
        suite = self.suite
        body = wire.decode_rmcp(datagram)[1]
        packet = wire.decode_rmcpplus(body)
        assert packet.payload_type == wire.PayloadType.SOL and packet.session_id == self.console_session_id
        if suite.integrity != crypto.IntegrityAlgorithm.NONE:
            length = crypto.integrity_code_length(suite.integrity)
            signed, code = wire.split_integrity_trailer(body, packet.payload_end, length)
            assert code == crypto.integrity_auth_code(suite.integrity, self.keys.k1, signed), "bad SOL AuthCode"
        if packet.encrypted:
            return crypto.aes_decrypt_payload(self.keys.aes_key, packet.payload)
        return packet.payload


@dataclass
class Lan15Client:
    """An IPMI 1.5 client: challenge, Activate Session, per-message auth codes checked both ways."""

    send: Send
    username: bytes = b"admin"
    password: bytes = b"admin"
    auth_type: AuthType15 = AuthType15.MD5
    session_id: int = 0
    sequence: int = 0
    bmc_sequence: int = 0x01020304
    rq_seq: int = 0

    def challenge(self) -> tuple[int, bytes]:
        data = bytes([self.auth_type]) + self.username.ljust(16, b"\x00")
        code, reply = sessionless15(self.send, 0x06, 0x39, data)
        if code == 0:
            (self.session_id,) = struct.unpack_from("<I", reply)
        return code, reply

    def activate(self, challenge: bytes, privilege: int = Privilege.ADMINISTRATOR) -> tuple[int, bytes] | None:
        data = bytes([self.auth_type, privilege]) + challenge + struct.pack("<I", self.bmc_sequence)
        replies = self.send(self.packet(0x06, 0x3A, data, sequence=0))
        if not replies:
            return None
        code, reply = self.parse(_one(replies), 0x06, 0x3A, expected_sequence=self.bmc_sequence)
        if code == 0:
            self.session_id, self.sequence = struct.unpack_from("<II", reply, 1)
            self.sequence -= 1
        return code, reply

    def login(self, privilege: int = Privilege.ADMINISTRATOR) -> None:
        code, reply = self.challenge()
        assert code == 0, f"challenge refused: {code:#04x}"
        result = self.activate(reply[4:20], privilege)
        assert result is not None and result[0] == 0, result
        if privilege > Privilege.USER:
            assert self.command(0x06, 0x3B, bytes([privilege])) == (0, bytes([privilege]))

    def packet(self, netfn: int, cmd: int, data: bytes = b"", *, sequence: int | None = None) -> bytes:
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        self.rq_seq = (self.rq_seq + 1) % 64
        message = lan_request(netfn, cmd, data, self.rq_seq)
        code = crypto.auth_code_15(
            self.auth_type, self.password, session_id=self.session_id, message=message, sequence=sequence
        )
        header = wire.Session15Header(self.auth_type, sequence, self.session_id, code)
        return wire.encode_rmcp(wire.RmcpClass.IPMI, wire.encode_session15(header, message))

    def parse(self, datagram: bytes, netfn: int, cmd: int, expected_sequence: int | None = None) -> tuple[int, bytes]:
        header, message = wire.decode_session15(wire.decode_rmcp(datagram)[1])
        assert header.auth_type == self.auth_type and header.session_id == self.session_id
        if expected_sequence is not None:
            assert header.sequence == expected_sequence, (header.sequence, expected_sequence)
        expected = crypto.auth_code_15(
            self.auth_type, self.password, session_id=header.session_id, message=message, sequence=header.sequence
        )
        assert header.auth_code == expected, "bad reply auth code"
        return parse_response(message, netfn, cmd)

    def command(self, netfn: int, cmd: int, data: bytes = b"") -> tuple[int, bytes]:
        return self.parse(_one(self.send(self.packet(netfn, cmd, data))), netfn, cmd)
