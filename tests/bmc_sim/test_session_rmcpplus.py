"""BmcEndpoint over RMCP+ in memory: handshakes, refusals, integrity, replay, expiry, limits (fake clock)."""

from __future__ import annotations

import struct

import pytest

from bmc_sim import rmcpplus, wire
from bmc_sim.config import Privilege, UserConfig
from bmc_sim.message import IpmiRequest, IpmiResponse, RequestContext, RequestRecord
from bmc_sim.rmcpplus import RakpStatus
from tests.bmc_sim.ipmi_testkit import Rig, make_config, make_rig
from tests.bmc_sim.ipmi_testkit.client import LanplusClient, LoginRefused, NoReply, lan_request

ADMIN_ROLE = Privilege.ADMINISTRATOR | rmcpplus.ROLE_NAME_ONLY_LOOKUP


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def client(rig: Rig, **kwargs: object) -> LanplusClient:
    return LanplusClient(rig.sender(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("suite_id", [1, 2, 3, 17])
def test_full_handshake_and_command_per_suite(rig: Rig, suite_id: int) -> None:
    """Open Session, RAKP 1-4 and an in-session Get Device ID work for each enabled suite; the client checks
    the BMC's RAKP 2 HMAC, RAKP 4 ICV, reply AuthCodes and encryption."""
    c = client(rig, suite_id=suite_id)
    c.login()
    code, data = c.command(0x06, 0x01)
    assert code == 0 and len(data) == 15
    request, ctx = rig.device.requests[-1]
    assert request == IpmiRequest(0x06, 0x01)
    assert ctx.user_name == "admin" and ctx.user_id == 2 and ctx.privilege == Privilege.ADMINISTRATOR
    assert ctx.session_id == c.bmc_session_id and ctx.peer == ("127.20.0.9", 40000) and ctx.channel == 1
    record = rig.records[-1]
    assert (record.command, record.completion_code, record.outcome, record.interface) == (
        "app.get_device_id",
        0,
        "ok",
        "lanplus",
    )
    assert rig.endpoint.stats.sessions_opened == 1


def test_suite_0_is_refused_unless_enabled() -> None:
    """Cipher suite 0 (no authentication at all) is only offered when configured."""
    refused = make_rig()
    with pytest.raises(LoginRefused) as caught:
        client(refused, suite_id=0).login()
    assert caught.value.status == RakpStatus.NO_MATCHING_AUTHENTICATION_PAYLOAD
    assert refused.outcomes() == ["no-matching-cipher"]
    enabled = make_rig(make_config(cipher_suites=(0, 3)))
    c = client(enabled, suite_id=0, password=b"anything")
    c.login()
    assert c.command(0x00, 0x01)[0] == 0


def test_wildcard_proposal_gets_the_strongest_enabled_suite(rig: Rig) -> None:
    request = rmcpplus.OpenSessionRequest(0, 0, 0x42, None, None, None)
    body = wire.encode_rmcpplus(
        wire.PayloadType.OPEN_SESSION_REQUEST, 0, 0, rmcpplus.encode_open_session_request(request)
    )
    reply = rig.endpoint.datagram_received(wire.encode_rmcp(wire.RmcpClass.IPMI, body), ("127.20.0.9", 1))[0]
    response = rmcpplus.decode_open_session_response(wire.decode_rmcpplus(wire.decode_rmcp(reply)[1]).payload)
    assert (response.status, response.max_privilege) == (0, Privilege.ADMINISTRATOR)
    assert (response.auth_algorithm, response.integrity_algorithm, response.confidentiality_algorithm) == (3, 4, 1)


@pytest.mark.parametrize(
    ("algorithms", "status"),
    [
        ((1, 4, 1), RakpStatus.NO_MATCHING_INTEGRITY_PAYLOAD),  # SHA1 auth with SHA256 integrity
        ((3, 4, 0), RakpStatus.NO_CIPHER_SUITE_MATCH),  # suite 16 is not enabled
        ((9, 1, 1), RakpStatus.INVALID_AUTHENTICATION_ALGORITHM),
        ((1, 9, 1), RakpStatus.INVALID_INTEGRITY_ALGORITHM),
        ((1, 1, 9), RakpStatus.INVALID_CONFIDENTIALITY_ALGORITHM),
    ],
)
def test_open_session_refuses_proposals_matching_no_enabled_suite(
    rig: Rig, algorithms: tuple[int, int, int], status: int
) -> None:
    request = rmcpplus.OpenSessionRequest(7, 4, 0x42, *algorithms)
    c = client(rig)
    reply = c._handshake(
        wire.PayloadType.OPEN_SESSION_REQUEST,
        rmcpplus.encode_open_session_request(request),
        wire.PayloadType.OPEN_SESSION_RESPONSE,
    )
    assert len(reply) == 8 and reply[1] == status
    assert rig.endpoint.sessions.active_count() == 0 and rig.endpoint.stats.handshake_refusals == 1


def test_wrong_password_gets_rakp4_status_0x0f_and_the_session_is_discarded(rig: Rig) -> None:
    c = client(rig, password=b"wrong")
    assert c.open_session().status == 0
    assert c.rakp1(verify=False).status == 0
    rakp4 = c.rakp3()
    assert rakp4 is not None and rakp4.status == RakpStatus.INVALID_INTEGRITY_CHECK_VALUE
    assert rig.endpoint.sessions.active_count() == 0
    rig.clock.advance(rig.device.config.handshake_timeout)
    rig.endpoint.datagram_received(b"", ("127.20.0.9", 40000))  # expiry runs when a datagram arrives
    assert rig.endpoint.sessions.get(c.bmc_session_id) is None
    assert rig.outcomes() == ["bad-password"] and rig.records[-1].completion_code is None
    assert rig.records[-1].user_name == "admin" and rig.endpoint.stats.auth_failures == 1


def test_unknown_user_gets_rakp2_status_0x0d(rig: Rig) -> None:
    c = client(rig, username=b"nobody")
    c.open_session()
    rakp2 = c.rakp1()
    assert rakp2.status == RakpStatus.UNAUTHORIZED_NAME and rakp2.console_session_id == c.console_session_id
    assert rig.endpoint.sessions.active_count() == 0
    assert rig.outcomes() == ["unknown-user"] and rig.records[-1].command == "rmcpplus.rakp1"


@pytest.mark.parametrize(
    ("username", "role", "status", "outcome"),
    [
        (b"disabled", ADMIN_ROLE, RakpStatus.INVALID_ROLE, "user-disabled"),
        (b"viewer", ADMIN_ROLE, RakpStatus.INVALID_ROLE, "privilege-exceeded"),
        (b"operator", Privilege.ADMINISTRATOR, RakpStatus.INVALID_ROLE, "privilege-exceeded"),
        (b"operator", Privilege.USER, RakpStatus.UNAUTHORIZED_NAME, "unknown-user"),  # privilege lookup: no match
        (b"x" * 17, ADMIN_ROLE, RakpStatus.INVALID_NAME_LENGTH, "invalid-name-length"),
        (b"admin", 0x16, RakpStatus.INVALID_ROLE, "invalid-role"),
    ],
)
def test_rakp1_refusals(rig: Rig, username: bytes, role: int, status: int, outcome: str) -> None:
    c = client(rig, username=username, role=role)
    c.open_session()
    assert c.rakp1().status == status
    assert rig.outcomes() == [outcome]


def test_privilege_lookup_matches_the_users_exact_level(rig: Rig) -> None:
    """With the name-only bit clear the role must equal the user's privilege (username/privilege lookup)."""
    c = client(rig, username=b"operator", password=b"op-secret", role=Privilege.OPERATOR)
    c.login(privilege=Privilege.OPERATOR)
    assert c.command(0x00, 0x02, b"\x01")[0] == 0 and rig.device.power_on


def test_session_starts_at_user_level_and_cannot_exceed_the_limit(rig: Rig) -> None:
    """A session starts at User; Set Session Privilege Level above the user's limit gives 0x81, above the
    negotiated maximum 0x80; commands see the session's current level."""
    c = client(rig, username=b"viewer", password=b"viewer-pw", role=Privilege.USER | rmcpplus.ROLE_NAME_ONLY_LOOKUP)
    c.login(privilege=Privilege.USER)
    assert c.command(0x06, 0x3B, b"\x00") == (0, bytes([Privilege.USER]))
    assert c.command(0x06, 0x3B, bytes([Privilege.OPERATOR])) == (0x81, b"")
    assert c.command(0x00, 0x02, b"\x01") == (0xD4, b"")  # the double refuses chassis control at User
    admin = client(rig, console_session_id=0x5151, role=Privilege.OPERATOR | rmcpplus.ROLE_NAME_ONLY_LOOKUP)
    admin.login(privilege=Privilege.USER)
    assert admin.command(0x06, 0x01)[0] == 0 and rig.device.requests[-1][1].privilege == Privilege.USER
    assert admin.command(0x06, 0x3B, bytes([Privilege.ADMINISTRATOR])) == (0x80, b"")
    assert admin.command(0x06, 0x3B, bytes([Privilege.OPERATOR])) == (0, bytes([Privilege.OPERATOR]))


def test_handshake_retransmissions_get_the_same_replies(rig: Rig) -> None:
    """A retransmitted Open Session, RAKP 1 or RAKP 3 is answered with the reply already sent."""
    c = client(rig)
    request = rmcpplus.OpenSessionRequest(0, 0, c.console_session_id, 1, 1, 1)
    payload = rmcpplus.encode_open_session_request(request)
    datagram = wire.encode_rmcp(
        wire.RmcpClass.IPMI, wire.encode_rmcpplus(wire.PayloadType.OPEN_SESSION_REQUEST, 0, 0, payload)
    )
    send = rig.sender()
    first, again = send(datagram), send(datagram)
    assert first == again and len(rig.endpoint.sessions.active()) == 0
    c.open_session()
    rakp1 = rmcpplus.encode_rakp1(rmcpplus.Rakp1(1, c.bmc_session_id, c.console_random, c.role, c.username))
    rakp1_datagram = wire.encode_rmcp(wire.RmcpClass.IPMI, wire.encode_rmcpplus(wire.PayloadType.RAKP1, 0, 0, rakp1))
    assert send(rakp1_datagram) == send(rakp1_datagram)
    c.tag = 0
    c.rakp1()
    assert c.rakp3() is not None
    c.tag -= 1
    assert c.rakp3() is not None and c.rakp3() is not None  # RAKP 3 again (same tag): same RAKP 4
    assert rig.endpoint.stats.sessions_opened == 1 and c.command(0x06, 0x01)[0] == 0


def test_console_aborting_in_rakp3_discards_the_session(rig: Rig) -> None:
    c = client(rig)
    c.open_session()
    c.rakp1()
    assert c.rakp3(status=RakpStatus.INVALID_INTEGRITY_CHECK_VALUE) is None
    assert rig.endpoint.sessions.get(c.bmc_session_id) is None and rig.outcomes() == ["client-aborted"]


def test_rakp_for_an_unknown_session_gets_status_0x02(rig: Rig) -> None:
    c = client(rig)
    c.bmc_session_id = 0x12345678
    assert c.rakp1().status == RakpStatus.INVALID_SESSION_ID
    rakp4 = c.rakp3()
    assert rakp4 is not None and rakp4.status == RakpStatus.INVALID_SESSION_ID


def test_bad_integrity_is_dropped_and_counted(rig: Rig) -> None:
    """A flipped AuthCode or payload bit, or a missing signature, gets no reply and a 'bad-integrity' record."""
    c = client(rig)
    c.login()
    send = rig.sender()
    packet = bytearray(c.packet(0x06, 0x01))
    packet[-1] ^= 0x01
    assert send(bytes(packet)) == []
    packet = bytearray(c.packet(0x06, 0x01))
    packet[wire.RMCP_HEADER_LENGTH + wire.RMCPPLUS_HEADER_LENGTH + 3] ^= 0x01
    assert send(bytes(packet)) == []
    unsigned = wire.encode_rmcpplus(wire.PayloadType.IPMI, c.bmc_session_id, 99, b"\x00" * 32, encrypted=True)
    assert send(wire.encode_rmcp(wire.RmcpClass.IPMI, unsigned)) == []
    assert rig.endpoint.stats.integrity_failures == 3 and rig.outcomes()[-3:] == ["bad-integrity"] * 3
    assert {(r.netfn, r.cmd, r.command, r.completion_code) for r in rig.records[-3:]} == {(0, 0, "", None)}
    assert c.command(0x00, 0x00) == (0xC1, b"")  # the session survives forgeries
    assert (rig.records[-1].command, rig.records[-1].outcome) == ("netfn00.cmd00", "ok")


def test_unencrypted_payload_in_an_encrypted_session_is_dropped(rig: Rig) -> None:
    c = client(rig)
    c.login()
    assert c.keys is not None
    plain = lan_request(0x06, 0x01)
    from bmc_sim import crypto

    signer = lambda signed: crypto.integrity_auth_code(crypto.IntegrityAlgorithm.HMAC_SHA1_96, c.keys.k1, signed)  # noqa: E731
    body = wire.encode_rmcpplus(wire.PayloadType.IPMI, c.bmc_session_id, 50, plain, integrity=signer)
    assert rig.sender()(wire.encode_rmcp(wire.RmcpClass.IPMI, body)) == []
    assert rig.outcomes()[-1] == "unencrypted"


def test_replayed_sequence_numbers_are_dropped_and_counted(rig: Rig) -> None:
    c = client(rig)
    c.login()
    for _ in range(25):
        c.command(0x06, 0x01)
    send = rig.sender()
    packet = c.packet(0x06, 0x01)
    assert len(send(packet)) == 1
    assert send(packet) == []
    old = c.packet(0x06, 0x01, sequence=c.sequence - 20)
    assert send(old) == []
    assert rig.endpoint.stats.replayed == 2 and rig.outcomes()[-2:] == ["replayed", "replayed"]
    early, later = c.packet(0x06, 0x01), c.packet(0x06, 0x01)
    assert len(send(later)) == 1 and len(send(early)) == 1  # out of order inside the window: both accepted


def test_session_expires_after_the_timeout_of_inactivity(rig: Rig) -> None:
    c = client(rig)
    c.login()
    rig.clock.advance(59.0)
    assert c.command(0x06, 0x01)[0] == 0  # activity restarts the timer
    rig.clock.advance(59.0)
    assert c.command(0x06, 0x01)[0] == 0
    rig.clock.advance(60.0)
    with pytest.raises(NoReply):
        c.command(0x06, 0x01)
    assert rig.endpoint.stats.sessions_expired == 1 and rig.endpoint.stats.unknown_session == 1


def test_session_limit_refuses_with_status_0x01_until_a_session_closes() -> None:
    rig = make_rig(make_config(session_limit=2))
    first, second = client(rig, console_session_id=1), client(rig, console_session_id=2)
    first.login()
    second.login()
    with pytest.raises(LoginRefused) as caught:
        client(rig, console_session_id=3).login()
    assert caught.value.status == RakpStatus.INSUFFICIENT_RESOURCES and rig.outcomes()[-1] == "session-limit"
    assert first.command(0x06, 0x3C, struct.pack("<I", first.bmc_session_id)) == (0, b"")
    client(rig, console_session_id=4).login()


def test_expired_sessions_free_their_slots() -> None:
    rig = make_rig(make_config(session_limit=1, session_timeout=10.0))
    client(rig, console_session_id=1).login()
    with pytest.raises(LoginRefused):
        client(rig, console_session_id=2).login()
    rig.clock.advance(10.0)
    client(rig, console_session_id=3).login()


def test_close_session(rig: Rig) -> None:
    """Close Session ends the caller's session; closing another needs Administrator; unknown IDs get 0x87."""
    viewer = client(rig, username=b"viewer", password=b"viewer-pw", role=Privilege.USER | 0x10, console_session_id=9)
    viewer.login(privilege=Privilege.USER)
    admin = client(rig)
    admin.login()
    assert viewer.command(0x06, 0x3C, struct.pack("<I", admin.bmc_session_id)) == (0xD4, b"")
    assert viewer.command(0x06, 0x3C, struct.pack("<I", 0x0BADF00D)) == (0x87, b"")
    assert viewer.command(0x06, 0x3C, b"\x00\x00\x00\x00\x63") == (0x88, b"")
    assert admin.command(0x06, 0x3C, struct.pack("<I", viewer.bmc_session_id)) == (0, b"")
    with pytest.raises(NoReply):
        viewer.command(0x06, 0x01)
    assert admin.command(0x06, 0x3C, struct.pack("<I", admin.bmc_session_id)) == (0, b"")
    assert rig.endpoint.sessions.active() == [] and rig.endpoint.stats.sessions_closed == 2


def test_get_session_info_describes_the_current_session(rig: Rig) -> None:
    c = client(rig)
    c.login()
    code, data = c.command(0x06, 0x3D, b"\x00")
    assert code == 0
    handle, limit, active, user_id, privilege, channel = data[:6]
    assert (limit, active, user_id, privilege, channel) == (16, 1, 2, Privilege.ADMINISTRATOR, 0x11)
    assert data[6:10] == bytes([127, 20, 0, 9]) and data[16:18] == struct.pack("<H", 40000)
    assert c.command(0x06, 0x3D, bytes([0xFE, handle]))[1] == data
    assert c.command(0x06, 0x3D, b"\xff" + struct.pack("<I", c.bmc_session_id))[1] == data
    assert c.command(0x06, 0x3D, b"\x05") == (0, bytes([0, 16, 1]))


def test_unresponsive_device_drops_everything(rig: Rig) -> None:
    c = client(rig)
    c.login()
    rig.device.responsive = False
    with pytest.raises(NoReply):
        c.command(0x06, 0x01)
    assert rig.sender()(wire.encode_asf(wire.AsfMessage(4542, wire.ASF_PRESENCE_PING, 1))) == []
    assert rig.endpoint.stats.dropped_unresponsive == 2
    rig.device.responsive = True
    assert c.command(0x06, 0x01)[0] == 0


@pytest.mark.parametrize(
    "datagram",
    [
        b"",
        b"\x06\x00\xff\x07",
        b"\x06\x00\xff\x08\x00",
        b"\x06\x00\xff\x07\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00",
        wire.encode_rmcp(wire.RmcpClass.IPMI, wire.encode_rmcpplus(wire.PayloadType.IPMI, 0, 0, b"\x20\x18\x00")),
        wire.encode_rmcp(wire.RmcpClass.IPMI, wire.encode_rmcpplus(wire.PayloadType.RAKP1, 0, 0, b"short")),
    ],
)
def test_malformed_packets_are_counted_and_dropped(rig: Rig, datagram: bytes) -> None:
    assert rig.sender()(datagram) == []
    assert rig.endpoint.stats.malformed == 1 and rig.records == []


def test_device_exceptions_become_0xff_and_observer_errors_do_not_block_replies(rig: Rig) -> None:
    c = client(rig)
    c.login()

    def explode(request: IpmiRequest, ctx: RequestContext) -> IpmiResponse:
        raise RuntimeError("device bug")

    rig.device.handle = explode  # type: ignore[method-assign]
    assert c.command(0x06, 0x01) == (0xFF, b"")

    def failing_observer(record: RequestRecord) -> None:
        raise ZeroDivisionError("observer bug")

    rig.endpoint.records.observer = failing_observer
    assert c.command(0x06, 0x01) == (0xFF, b"")
    assert rig.endpoint.stats.errors == 3


def test_records_never_contain_secrets(rig: Rig) -> None:
    c = client(rig)
    c.login()
    c.command(0x06, 0x01)
    client(rig, password=b"wrong-secret", console_session_id=77).open_session()
    text = repr(rig.records) + repr(rig.endpoint.sessions.active())
    assert "admin" in text and "wrong-secret" not in text
    assert c.keys is not None and c.keys.k1.hex() not in text and b"admin".hex() not in text


def test_null_user_logs_in_with_an_empty_name_when_slot_1_has_a_password() -> None:
    users = (UserConfig(1, "", "nullpw"), UserConfig(2, "admin", "admin"))
    rig = make_rig(make_config(users=users))
    c = client(rig, username=b"", password=b"nullpw")
    c.login()
    assert c.command(0x06, 0x01)[0] == 0 and rig.device.requests[-1][1].user_id == 1
