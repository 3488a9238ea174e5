"""bmc_sim.wire and bmc_sim.rmcpplus: codec round trips and malformed-field errors."""

from __future__ import annotations

import hashlib
import struct

import pytest

from bmc_sim import rmcpplus, wire
from bmc_sim.wire import MalformedPacket

GET_DEVICE_ID = bytes.fromhex("2018c88104017a")  # as ipmitool sends it: rsAddr 20, netFn 6, rqSeq 1, cmd 01


def test_rmcp_header_round_trip() -> None:
    """An RMCP header survives encode/decode and the ACK bit is split from the class."""
    datagram = wire.encode_rmcp(wire.RmcpClass.IPMI, b"body", sequence=0x12)
    assert datagram == b"\x06\x00\x12\x07body"
    header, body = wire.decode_rmcp(datagram)
    assert header == wire.RmcpHeader(0x12, wire.RmcpClass.IPMI, False) and body == b"body"
    assert wire.decode_rmcp(b"\x06\x00\xff\x86")[0].is_ack


@pytest.mark.parametrize(
    ("datagram", "field"),
    [(b"\x06\x00\xff", "rmcp.header"), (b"\x05\x00\xff\x07\x00", "rmcp.version")],
)
def test_rmcp_header_errors_name_the_field(datagram: bytes, field: str) -> None:
    """A short header or a wrong RMCP version raises MalformedPacket naming that field."""
    with pytest.raises(MalformedPacket) as caught:
        wire.decode_rmcp(datagram)
    assert caught.value.field == field


def test_presence_pong_answers_the_ping_tag() -> None:
    """The pong echoes the ping's tag and says IPMI is supported (what ipmitool's ping checks)."""
    header, body = wire.decode_rmcp(wire.presence_pong(0x42))
    assert header.message_class == wire.RmcpClass.ASF
    pong = wire.decode_asf(body)
    assert (pong.iana, pong.message_type, pong.tag) == (4542, wire.ASF_PRESENCE_PONG, 0x42)
    assert len(pong.data) == 16 and struct.unpack(">I", pong.data[:4])[0] == 4542
    assert pong.data[8] == 0x81


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"\x00\x00\x11\xbe\x80", "asf.header"), (b"\x00\x00\x11\xbe\x80\x01\x00\x04ab", "asf.data_length")],
)
def test_asf_errors(body: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        wire.decode_asf(body)
    assert caught.value.field == field


def test_session15_round_trip_without_and_with_auth_code() -> None:
    """Auth type NONE has no auth code field; any other type carries 16 bytes."""
    plain = wire.Session15Header(0, 0, 0)
    assert wire.decode_session15(wire.encode_session15(plain, GET_DEVICE_ID)) == (plain, GET_DEVICE_ID)
    signed = wire.Session15Header(2, 7, 0xA1B2C3D4, bytes(range(16)))
    body = wire.encode_session15(signed, GET_DEVICE_ID)
    assert body[1:5] == struct.pack("<I", 7) and body[5:9] == struct.pack("<I", 0xA1B2C3D4)
    assert wire.decode_session15(body) == (signed, GET_DEVICE_ID)


def test_session15_ignores_a_legacy_pad_byte() -> None:
    body = wire.encode_session15(wire.Session15Header(0, 0, 0), GET_DEVICE_ID) + b"\x00"
    assert wire.decode_session15(body)[1] == GET_DEVICE_ID


def test_session15_needs_a_16_byte_auth_code() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        wire.encode_session15(wire.Session15Header(2, 0, 1, b"short"), GET_DEVICE_ID)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"\x00" * 9, "session.header"),
        (b"\x03" + b"\x00" * 9 + b"\x00", "session.auth_type"),
        (b"\x02" + b"\x00" * 8 + b"\x00" * 16, "session.auth_code"),
        (b"\x00" + b"\x00" * 8 + b"\x07" + GET_DEVICE_ID[:5], "session.message_length"),
    ],
)
def test_session15_errors(body: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        wire.decode_session15(body)
    assert caught.value.field == field


def test_rmcpplus_round_trip_unauthenticated() -> None:
    body = wire.encode_rmcpplus(wire.PayloadType.RAKP1, 0, 0, b"payload")
    packet = wire.decode_rmcpplus(body)
    assert (packet.payload_type, packet.session_id, packet.sequence, packet.payload) == (0x12, 0, 0, b"payload")
    assert not packet.encrypted and not packet.authenticated and packet.payload_end == len(body)


def _sign(signed: bytes) -> bytes:
    return hashlib.sha1(signed).digest()[:12]


@pytest.mark.parametrize("length", range(8))
def test_integrity_trailer_pads_the_signed_bytes_to_four(length: int) -> None:
    """0xFF pad, pad length and next header 0x07 make the signed part a multiple of 4 (IPMI 2.0 table 13-8)."""
    body = wire.encode_rmcpplus(wire.PayloadType.IPMI, 0x01020304, 9, bytes(length), encrypted=True, integrity=_sign)
    packet = wire.decode_rmcpplus(body)
    assert packet.encrypted and packet.authenticated and packet.session_id == 0x01020304 and packet.sequence == 9
    signed, code = wire.split_integrity_trailer(body, packet.payload_end, 12)
    assert len(signed) % 4 == 0 and signed[-1] == 0x07 and code == _sign(signed)
    pad_length = signed[-2]
    assert signed[packet.payload_end : packet.payload_end + pad_length] == b"\xff" * pad_length


def _trailer_variants() -> list[tuple[bytes, str]]:
    good = wire.encode_rmcpplus(wire.PayloadType.IPMI, 1, 1, b"abc", integrity=_sign)
    signed_end = len(good) - 12
    wrong_next = bytearray(good)
    wrong_next[signed_end - 1] = 0x06
    wrong_pad_length = bytearray(good)
    wrong_pad_length[signed_end - 2] += 1
    wrong_pad = bytearray(good)
    wrong_pad[wire.RMCPPLUS_HEADER_LENGTH + 3] = 0x00
    return [
        (bytes(wrong_next), "integrity.next_header"),
        (bytes(wrong_pad_length), "integrity.pad_length"),
        (bytes(wrong_pad), "integrity.pad"),
        (good[: wire.RMCPPLUS_HEADER_LENGTH + 3 + 4], "integrity.trailer"),
    ]


@pytest.mark.parametrize(("body", "field"), _trailer_variants())
def test_integrity_trailer_errors(body: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        wire.split_integrity_trailer(body, wire.RMCPPLUS_HEADER_LENGTH + 3, 12)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"\x06\x00" + b"\x00" * 9, "session.header"),
        (b"\x00\x00" + b"\x00" * 10, "session.auth_type"),
        (b"\x06\x02" + b"\x00" * 10, "session.payload_type"),
        (b"\x06\x00" + b"\x00" * 8 + b"\x05\x00abc", "session.payload_length"),
    ],
)
def test_rmcpplus_header_errors(body: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        wire.decode_rmcpplus(body)
    assert caught.value.field == field


def test_lan_message_round_trip_matches_ipmitool_bytes() -> None:
    """Encoding Get Device ID gives exactly the bytes ipmitool puts on the wire, checksums included."""
    message = wire.LanMessage(0x20, 0x06, 0, 0x81, 1, 0, 0x01)
    assert wire.encode_lan_message(message) == GET_DEVICE_ID
    assert wire.decode_lan_message(GET_DEVICE_ID) == message
    assert wire.checksum(b"\x20\x18") == 0xC8


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (GET_DEVICE_ID[:6], "message.length"),
        (GET_DEVICE_ID[:2] + b"\xc9" + GET_DEVICE_ID[3:], "message.checksum1"),
        (GET_DEVICE_ID[:-1] + b"\x7b", "message.checksum2"),
    ],
)
def test_lan_message_errors(message: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        wire.decode_lan_message(message)
    assert caught.value.field == field


def test_response_swaps_addresses_and_keeps_sequence() -> None:
    """A response has netFn|1, the same rqSeq and command, and the completion code first."""
    request = wire.LanMessage(0x20, 0x06, 0, 0x81, 0x2A, 2, 0x01, b"\x00")
    response = wire.response_to(request, 0xC1, b"xy")
    assert response == wire.LanMessage(0x81, 0x07, 2, 0x20, 0x2A, 0, 0x01, b"\xc1xy")
    assert wire.decode_lan_message(wire.encode_lan_message(response)) == response


# --------------------------------------------------------------------------- RMCP+ handshake payloads


def test_open_session_request_round_trip_with_wildcard() -> None:
    request = rmcpplus.OpenSessionRequest(5, 4, 0xDEADBEEF, 3, None, 1)
    payload = rmcpplus.encode_open_session_request(request)
    assert len(payload) == 32 and payload[8:16] == bytes([0, 0, 0, 8, 3, 0, 0, 0]) and payload[19] == 0
    assert rmcpplus.decode_open_session_request(payload) == request


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p[:31], "open_session_request.length"),
        (lambda p: p[:16] + b"\x05" + p[17:], "open_session_request.integrity.type"),
        (lambda p: p[:27] + b"\x04" + p[28:], "open_session_request.confidentiality.length"),
    ],
)
def test_open_session_request_errors(mutate: object, field: str) -> None:
    payload = rmcpplus.encode_open_session_request(rmcpplus.OpenSessionRequest(1, 0, 7, 1, 1, 1))
    with pytest.raises(MalformedPacket) as caught:
        rmcpplus.decode_open_session_request(mutate(payload))  # type: ignore[operator]
    assert caught.value.field == field


def test_open_session_response_error_form_is_eight_bytes() -> None:
    """On error only tag, status and console session ID are sent (what ipmitool reads)."""
    error = rmcpplus.OpenSessionResponse(9, rmcpplus.RakpStatus.NO_MATCHING_AUTHENTICATION_PAYLOAD, 4, 0x55)
    payload = rmcpplus.encode_open_session_response(error)
    assert payload == bytes([9, 6, 0, 0]) + struct.pack("<I", 0x55)
    ok = rmcpplus.OpenSessionResponse(9, 0, 4, 0x55, 0x66, 3, 4, 1)
    encoded = rmcpplus.encode_open_session_response(ok)
    assert len(encoded) == 36 and rmcpplus.decode_open_session_response(encoded) == ok


def test_rakp_messages_round_trip() -> None:
    rakp1 = rmcpplus.Rakp1(1, 0x1234, bytes(range(16)), 0x14, b"admin")
    assert rmcpplus.decode_rakp1(rmcpplus.encode_rakp1(rakp1)) == rakp1
    rakp2 = rmcpplus.Rakp2(1, 0, 0x99, b"r" * 16, b"g" * 16, b"c" * 20)
    assert rmcpplus.decode_rakp2(rmcpplus.encode_rakp2(rakp2)) == rakp2
    refused = rmcpplus.Rakp2(1, rmcpplus.RakpStatus.UNAUTHORIZED_NAME, 0x99, b"r" * 16, b"g" * 16, b"c")
    assert rmcpplus.encode_rakp2(refused) == bytes([1, 0x0D, 0, 0]) + struct.pack("<I", 0x99)
    rakp3 = rmcpplus.Rakp3(2, 0, 0x1234, b"x" * 32)
    assert rmcpplus.decode_rakp3(rmcpplus.encode_rakp3(rakp3)) == rakp3
    rakp4 = rmcpplus.Rakp4(3, 0, 0x99, b"i" * 12)
    assert rmcpplus.decode_rakp4(rmcpplus.encode_rakp4(rakp4)) == rakp4
    assert len(rmcpplus.encode_rakp4(rmcpplus.Rakp4(3, 0x0F, 0x99, b"i" * 12))) == 8


@pytest.mark.parametrize(
    ("decode", "payload", "field"),
    [
        (rmcpplus.decode_rakp1, b"\x00" * 27, "rakp1.length"),
        (rmcpplus.decode_rakp1, b"\x00" * 27 + b"\x05adm", "rakp1.username"),
        (rmcpplus.decode_rakp3, b"\x00" * 7, "rakp3.length"),
        (rmcpplus.decode_rakp2, b"\x00" * 20, "rakp2.length"),
        (rmcpplus.decode_rakp4, b"\x00" * 3, "rakp4.length"),
        (rmcpplus.decode_open_session_response, b"\x00" * 12, "open_session_response.length"),
    ],
)
def test_rakp_errors(decode: object, payload: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        decode(payload)  # type: ignore[operator]
    assert caught.value.field == field
