"""BmcEndpoint over IPMI 1.5 in memory: challenge, Activate Session, per-message auth codes, refusals."""

from __future__ import annotations

import pytest

from bmc_sim.config import AuthType15, Privilege
from tests.bmc_sim.ipmi_testkit import Rig, make_config, make_rig
from tests.bmc_sim.ipmi_testkit.client import Lan15Client, NoReply


@pytest.fixture
def rig() -> Rig:
    return make_rig()


@pytest.mark.parametrize("auth_type", [AuthType15.MD5, AuthType15.STRAIGHT_PASSWORD])
def test_login_and_commands(rig: Rig, auth_type: AuthType15) -> None:
    """Challenge, Activate Session (auth code checked), Set Session Privilege, then signed commands; the client
    verifies the BMC's auth codes and that the Activate Session reply carries its initial outbound number."""
    c = Lan15Client(rig.sender(), auth_type=auth_type)
    c.login()
    code, data = c.command(0x06, 0x01)
    assert code == 0 and len(data) == 15
    ctx = rig.device.requests[-1][1]
    assert (ctx.user_name, ctx.privilege, ctx.session_id) == ("admin", Privilege.ADMINISTRATOR, c.session_id)
    assert rig.records[-1].interface == "lan" and rig.endpoint.stats.sessions_opened == 1
    activation = next(r for r in rig.records if r.command == "app.activate_session")
    assert (activation.outcome, activation.completion_code, activation.interface) == ("ok", 0, "lan")


def test_session_starts_at_user_privilege(rig: Rig) -> None:
    c = Lan15Client(rig.sender())
    c.login(privilege=Privilege.USER)
    assert c.command(0x06, 0x3B, b"\x00") == (0, bytes([Privilege.USER]))


def test_auth_type_none_only_when_configured() -> None:
    refused = make_rig()
    assert Lan15Client(refused.sender(), auth_type=AuthType15.NONE).challenge() == (0xCC, b"")
    allowed = make_rig(make_config(auth_types_15=(0, 2)))
    c = Lan15Client(allowed.sender(), auth_type=AuthType15.NONE)
    c.login()
    assert c.command(0x06, 0x01)[0] == 0


def test_md2_is_not_offered(rig: Rig) -> None:
    assert Lan15Client(rig.sender(), auth_type=AuthType15.MD2).challenge() == (0xCC, b"")


@pytest.mark.parametrize(("username", "code"), [(b"nobody", 0x81), (b"", 0x82), (b"disabled", 0x81)])
def test_challenge_refuses_unknown_users(rig: Rig, username: bytes, code: int) -> None:
    assert Lan15Client(rig.sender(), username=username).challenge() == (code, b"")
    assert rig.endpoint.stats.auth_failures == 1


def test_wrong_password_activation_is_dropped(rig: Rig) -> None:
    """A bad Activate Session auth code gets no reply (IPMI spec; FreeIPMI reports 'password verification timeout')."""
    c = Lan15Client(rig.sender(), password=b"wrong")
    code, challenge = c.challenge()
    assert code == 0
    assert c.activate(challenge[4:20]) is None
    assert rig.outcomes()[-1] == "bad-password" and rig.endpoint.stats.auth_failures == 1
    assert rig.endpoint.sessions.active() == [] and rig.endpoint.sessions.challenge(c.session_id) is None


def test_activation_above_the_users_limit_gets_0x86(rig: Rig) -> None:
    c = Lan15Client(rig.sender(), username=b"viewer", password=b"viewer-pw")
    _, challenge = c.challenge()
    assert c.activate(challenge[4:20], privilege=Privilege.ADMINISTRATOR) == (0x86, b"")
    assert rig.outcomes()[-1] == "privilege-exceeded"


def test_activation_with_a_wrong_challenge_is_dropped(rig: Rig) -> None:
    c = Lan15Client(rig.sender())
    c.challenge()
    assert c.activate(b"\x00" * 16) is None and rig.outcomes()[-1] == "bad-challenge"


def test_session_limit_gives_0x81() -> None:
    rig = make_rig(make_config(session_limit=1))
    Lan15Client(rig.sender()).login()
    c = Lan15Client(rig.sender())
    _, challenge = c.challenge()
    assert c.activate(challenge[4:20]) == (0x81, b"") and rig.outcomes()[-1] == "session-limit"


def test_retransmitted_activation_is_answered_again(rig: Rig) -> None:
    """A repeated Activate Session (FreeIPMI retries with a new rqSeq) gets the same activation data again."""
    c = Lan15Client(rig.sender())
    _, challenge = c.challenge()
    first = c.activate(challenge[4:20])
    again = c.activate(challenge[4:20])
    assert first is not None and first == again and rig.endpoint.stats.sessions_opened == 1
    assert c.command(0x06, 0x01)[0] == 0


def test_bad_auth_code_and_replays_are_dropped(rig: Rig) -> None:
    c = Lan15Client(rig.sender())
    c.login()
    send = rig.sender()
    packet = c.packet(0x06, 0x01)
    assert len(send(packet)) == 1
    assert send(packet) == []
    forged = bytearray(c.packet(0x06, 0x01))
    forged[-2] ^= 0x01
    assert send(bytes(forged)) == []
    assert rig.endpoint.stats.replayed == 1 and rig.endpoint.stats.integrity_failures == 1
    assert rig.outcomes()[-2:] == ["replayed", "bad-integrity"]


def test_close_session_and_expiry(rig: Rig) -> None:
    c = Lan15Client(rig.sender())
    c.login()
    assert c.command(0x06, 0x3C, c.session_id.to_bytes(4, "little")) == (0, b"")
    with pytest.raises(NoReply):
        c.command(0x06, 0x01)
    d = Lan15Client(rig.sender())
    d.login()
    rig.clock.advance(60.0)
    with pytest.raises(NoReply):
        d.command(0x06, 0x01)
    assert rig.endpoint.stats.sessions_expired == 1
