"""In-memory tests of the benchmark's RMCP+ client against a BMC side written here from the spec formulas."""

from __future__ import annotations

import hashlib
import hmac
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bench.loadloop import percentile
from bench.rmcpplus_client import (
    ProtocolError,
    Session,
    channel_auth_capabilities_probe,
    checksum,
    decode_ipmi_response,
    encode_ipmi_request,
    is_channel_auth_capabilities_response,
)

GUID = bytes(range(16))
RC = bytes(range(100, 116))
MANAGED_SID = struct.pack("<I", 0x0BADBEEF)


def _sha1(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha1).digest()


def _frame(payload_type: int, payload: bytes, session_id: int = 0) -> bytes:
    return (
        b"\x06\x00\xff\x07" + bytes([0x06, payload_type]) + struct.pack("<IIH", session_id, 0, len(payload)) + payload
    )


class FakeBmc:
    """Just enough of a cipher-suite-3 BMC to answer one client (IPMI 2.0 sections 13.17-13.32)."""

    def __init__(self, password: bytes = b"admin") -> None:
        self.kuid = password

    def open_response(self, request: bytes, algorithms_: tuple[int, int, int] = (1, 1, 1)) -> bytes:
        body = request[16:]
        self.tag, self.console_sid = body[0], body[4:8]
        auth, integ, conf = algorithms_
        payload = bytes([self.tag, 0, 4, 0]) + self.console_sid + MANAGED_SID
        payload += bytes([0, 0, 0, 8, auth, 0, 0, 0, 1, 0, 0, 8, integ, 0, 0, 0, 2, 0, 0, 8, conf, 0, 0, 0])
        return _frame(0x11, payload)

    def rakp2(self, rakp1: bytes) -> bytes:
        body = rakp1[16:]
        self.rm, self.role, self.name = body[8:24], body[24], body[28 : 28 + body[27]]
        tail = bytes([self.role, len(self.name)]) + self.name
        code = _sha1(self.kuid, self.console_sid + MANAGED_SID + self.rm + RC + GUID + tail)
        return _frame(0x13, bytes([self.tag, 0, 0, 0]) + self.console_sid + RC + GUID + code)

    def rakp4(self, rakp3: bytes) -> bytes:
        tail = bytes([self.role, len(self.name)]) + self.name
        assert rakp3[16 + 8 :] == _sha1(self.kuid, RC + self.console_sid + tail), "RAKP 3 code per spec"
        self.sik = _sha1(self.kuid, self.rm + RC + tail)
        self.k1 = _sha1(self.sik, b"\x01" * 20)
        self.key = _sha1(self.sik, b"\x02" * 20)[:16]
        icv = _sha1(self.sik, self.rm + MANAGED_SID + GUID)[:12]
        return _frame(0x15, bytes([self.tag, 0, 0, 0]) + self.console_sid + icv)

    def decrypt_request(self, datagram: bytes) -> bytes:
        assert datagram[5] == 0xC0 and datagram[6:10] == MANAGED_SID
        assert datagram[-12:] == _sha1(self.k1, datagram[4:-12])[:12], "integrity per spec"
        assert (len(datagram) - 4 - 12) % 4 == 0, "integrity pad makes the covered range whole dwords"
        (length,) = struct.unpack_from("<H", datagram, 14)
        payload = datagram[16 : 16 + length]
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(payload[:16])).decryptor()
        plain = decryptor.update(payload[16:]) + decryptor.finalize()
        pad = plain[-1]
        assert plain[-1 - pad : -1] == bytes(range(1, pad + 1)), "confidentiality pad is 1, 2, 3..."
        return plain[: -1 - pad]

    def respond(self, message: bytes, data: bytes, tamper: bool = False) -> bytes:
        netfn, seq, cmd = message[1] >> 2, message[4], message[5]
        head = bytes([0x81, (netfn | 1) << 2])
        body = bytes([0x20, seq, cmd, 0]) + data
        plain = head + bytes([checksum(head)]) + body + bytes([checksum(body)])
        pad = (16 - (len(plain) + 1) % 16) % 16
        padded = plain + bytes(range(1, pad + 1)) + bytes([pad])
        iv = bytes(16)
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(iv)).encryptor()
        payload = iv + encryptor.update(padded) + encryptor.finalize()
        covered = bytes([0x06, 0xC0]) + self.console_sid + struct.pack("<IH", 1, len(payload)) + payload
        ipad = (4 - (len(covered) + 2) % 4) % 4
        covered += b"\xff" * ipad + bytes([ipad, 0x07])
        code = _sha1(self.k1, covered)[:12]
        if tamper:
            code = bytes([code[0] ^ 1]) + code[1:]
        return b"\x06\x00\xff\x07" + covered + code


def _handshake(session: Session, bmc: FakeBmc) -> None:
    rakp1 = session.rakp1(bmc.open_response(session.open_request()))
    rakp3 = session.rakp3(bmc.rakp2(rakp1))
    session.accept_rakp4(bmc.rakp4(rakp3))


def test_handshake_and_get_chassis_status_round_trip() -> None:
    session, bmc = Session("admin", "admin"), FakeBmc()
    _handshake(session, bmc)
    assert session.active
    datagram, rq_seq = session.request(0x00, 0x01)
    message = bmc.decrypt_request(datagram)
    assert message[:3] == bytes([0x20, 0x00, checksum(bytes([0x20, 0x00]))])
    assert message[5] == 0x01 and message[4] >> 2 == rq_seq
    response = session.response(bmc.respond(message, b"\x01\x00\x40"))
    assert (response.netfn, response.cmd, response.rq_seq) == (0x01, 0x01, rq_seq)
    assert (response.completion_code, response.data) == (0, b"\x01\x00\x40")


def test_wrong_password_is_detected_at_rakp2() -> None:
    session, bmc = Session("admin", "wrong"), FakeBmc(b"admin")
    rakp1 = session.rakp1(bmc.open_response(session.open_request()))
    with pytest.raises(ProtocolError, match="RAKP 2"):
        session.rakp3(bmc.rakp2(rakp1))


def test_other_cipher_suite_is_refused() -> None:
    session, bmc = Session("admin", "admin"), FakeBmc()
    with pytest.raises(ProtocolError, match="cipher suite 3"):
        session.rakp1(bmc.open_response(session.open_request(), algorithms_=(3, 1, 1)))


def test_tampered_response_fails_integrity_check() -> None:
    session, bmc = Session("admin", "admin"), FakeBmc()
    _handshake(session, bmc)
    datagram, _ = session.request(0x00, 0x01)
    message = bmc.decrypt_request(datagram)
    with pytest.raises(ProtocolError, match="integrity"):
        session.response(bmc.respond(message, b"\x00\x00\x00", tamper=True))


def test_sequence_numbers_advance_and_requests_need_a_session() -> None:
    session, bmc = Session("admin", "admin"), FakeBmc()
    with pytest.raises(ProtocolError):
        session.request(0x00, 0x01)
    _handshake(session, bmc)
    seqs = [session.request(0x00, 0x01)[1] for _ in range(70)]
    assert seqs[:3] == [1, 2, 3] and all(0 <= s < 64 for s in seqs) and seqs[63] == 0


def test_ipmi_message_codec_checksums() -> None:
    message = encode_ipmi_request(0x06, 0x38, 5, b"\x8e\x04")
    assert sum(message[:3]) & 0xFF == 0 and sum(message[3:]) & 0xFF == 0
    with pytest.raises(ProtocolError, match="checksum"):
        decode_ipmi_response(message[:-1] + bytes([message[-1] ^ 0xFF]))


def test_channel_auth_probe_and_answer() -> None:
    probe = channel_auth_capabilities_probe()
    assert probe[:5] == b"\x06\x00\xff\x07\x00" and probe[13] == len(probe) - 14
    head = bytes([0x81, 0x07 << 2])
    body = bytes([0x20, 1 << 2, 0x38, 0x00, 0x01, 0x97, 0x06, 0x03, 0, 0, 0, 0])
    message = head + bytes([checksum(head)]) + body + bytes([checksum(body)])
    answer = b"\x06\x00\xff\x07\x00" + b"\x00" * 8 + bytes([len(message)]) + message
    assert is_channel_auth_capabilities_response(answer)
    assert not is_channel_auth_capabilities_response(answer[:-1] + b"\x00")
    assert not is_channel_auth_capabilities_response(b"\x06\x00\xff\x07")


def test_percentile_nearest_rank() -> None:
    values = list(range(1, 101))
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0)) == (50, 99, 100)
    assert percentile([], 0.5) == 0
