"""RMCP+ handshake retransmissions the way FreeIPMI sends them (a new message tag on every send), in memory.

A reply that is lost or late makes the console send the same request again
with the next message tag; the BMC must answer it as before (the same session
ID, the same random number, the same RAKP 4) under the new tag, and must not
open a second session or refuse the console (the overload of issue 9: 13
``ipmipower`` processes against thousands of BMCs ended in "BMC error").
"""

from __future__ import annotations

import random

import pytest

from bmc_sim import rmcpplus, wire
from bmc_sim.rmcpplus import RakpStatus
from bmc_sim.session_table import SessionState
from tests.bmc_sim.ipmi_testkit import Rig, make_config, make_rig
from tests.bmc_sim.ipmi_testkit.client import LanplusClient

PEER = ("127.20.0.9", 40000)


def client(rig: Rig, console_session_id: int = 0x11223344, port: int = 40000, **kwargs: object) -> LanplusClient:
    return LanplusClient(rig.sender(("127.20.0.9", port)), console_session_id=console_session_id, **kwargs)  # type: ignore[arg-type]


def send_raw(rig: Rig, payload_type: wire.PayloadType, payload: bytes, peer: tuple[str, int] = PEER) -> bytes:
    """Send one handshake payload; return the reply payload."""
    datagram = wire.encode_rmcp(wire.RmcpClass.IPMI, wire.encode_rmcpplus(payload_type, 0, 0, payload))
    (reply,) = rig.endpoint.datagram_received(datagram, peer)
    return wire.decode_rmcpplus(wire.decode_rmcp(reply)[1]).payload


def test_every_step_retransmitted_with_a_new_tag_gets_the_same_answer() -> None:
    rig = make_rig()
    c = client(rig)
    first = c.open_session()
    c.tag += 1
    again = c.open_session()  # the kit checks the reply carries the new tag
    assert again.bmc_session_id == first.bmc_session_id and len(list(rig.endpoint.sessions)) == 1
    rakp2 = c.rakp1()
    rakp2_again = c.rakp1()  # next tag, same console random number, role and name
    assert (rakp2_again.bmc_random, rakp2_again.auth_code) == (rakp2.bmc_random, rakp2.auth_code)
    rakp4 = c.rakp3()
    rakp4_again = c.rakp3()  # the session is active now; the RAKP 4 comes again
    assert rakp4 is not None and rakp4_again is not None and rakp4.status == rakp4_again.status == 0
    assert rakp4_again.integrity_check_value == rakp4.integrity_check_value
    assert c.command(0x06, 0x01)[0] == 0
    stats = rig.endpoint.stats
    assert (stats.sessions_opened, stats.handshake_retransmits, stats.handshake_refusals) == (1, 3, 0)
    assert rig.outcomes() == ["ok"]  # retransmissions answered again are not recorded as requests


def test_a_late_rakp3_duplicate_after_traffic_in_the_session_is_answered_and_harmless() -> None:
    rig = make_rig()
    c = client(rig)
    c.login()
    assert c.command(0x06, 0x01)[0] == 0
    code = c.rakp3()
    assert code is not None and code.status == 0
    assert c.command(0x06, 0x01)[0] == 0 and rig.endpoint.sessions.active_count() == 1


def test_a_rakp3_with_another_auth_code_on_an_active_session_is_refused() -> None:
    rig = make_rig()
    c = client(rig)
    c.login()
    rakp4 = c.rakp3(tamper=True)
    assert rakp4 is not None and rakp4.status == RakpStatus.INVALID_SESSION_ID
    assert c.command(0x06, 0x01)[0] == 0  # the session itself is untouched


@pytest.mark.parametrize(
    ("kwargs", "step", "status", "outcome"),
    [
        ({"username": b"nobody"}, "rakp1", RakpStatus.UNAUTHORIZED_NAME, "unknown-user"),
        ({"password": b"wrong"}, "rakp3", RakpStatus.INVALID_INTEGRITY_CHECK_VALUE, "bad-password"),
    ],
)
def test_a_refusal_retransmitted_gets_the_same_refusal_until_the_handshake_timeout(
    kwargs: dict[str, bytes], step: str, status: int, outcome: str
) -> None:
    """Under load the console may only see the answer to its retransmission: it must say why, not 'invalid session'."""
    rig = make_rig()
    c = client(rig, **kwargs)  # type: ignore[arg-type]
    c.open_session()

    def attempt() -> int:
        if step == "rakp1":
            return c.rakp1(verify=False).status
        rakp4 = c.rakp3()
        assert rakp4 is not None
        return rakp4.status

    if step == "rakp3":
        c.rakp1(verify=False)
    assert attempt() == status and attempt() == status
    assert rig.outcomes() == [outcome] and rig.endpoint.stats.auth_failures == 1
    assert rig.endpoint.stats.handshake_retransmits == 1
    rig.clock.advance(rig.device.config.handshake_timeout)
    assert attempt() == RakpStatus.INVALID_SESSION_ID and rig.endpoint.stats.handshakes_abandoned == 1


def test_open_session_with_other_parameters_replaces_the_pending_handshake() -> None:
    rig = make_rig()
    c = client(rig, suite_id=3)
    first = c.open_session()
    c.suite_id = 17
    second = c.open_session()
    assert second.bmc_session_id != first.bmc_session_id and [s.bmc_session_id for s in rig.endpoint.sessions] == [
        second.bmc_session_id
    ]
    c.rakp1()
    assert c.rakp3() is not None and c.command(0x06, 0x01)[0] == 0


def test_a_console_reusing_its_session_id_after_login_gets_a_new_session() -> None:
    """ipmitool uses one fixed console session ID; a new login from the same address is not a retransmission."""
    rig = make_rig()
    first = client(rig)
    first.login()
    second = client(rig)
    second.login()
    assert second.bmc_session_id != first.bmc_session_id and rig.endpoint.sessions.active_count() == 2


def test_an_old_open_session_duplicate_during_rakp_is_answered_without_changing_the_handshake() -> None:
    rig = make_rig()
    c = client(rig)
    c.open_session()
    c.rakp1()
    request = rmcpplus.OpenSessionRequest(0x77, 0, c.console_session_id, 1, 1, 1)
    reply = send_raw(rig, wire.PayloadType.OPEN_SESSION_REQUEST, rmcpplus.encode_open_session_request(request))
    response = rmcpplus.decode_open_session_response(reply)
    assert (response.tag, response.bmc_session_id) == (0x77, c.bmc_session_id)
    assert c.rakp3() is not None and c.command(0x06, 0x01)[0] == 0


def test_half_open_sessions_time_out_and_never_exhaust_the_table() -> None:
    rig = make_rig(make_config(session_limit=2, handshake_timeout=5.0))
    for n in range(1, 40):  # consoles that open a session and vanish
        client(rig, console_session_id=n, port=41000 + n).open_session()
    assert len(list(rig.endpoint.sessions)) == 4  # at most twice the session limit, the newest kept
    fresh = client(rig, console_session_id=99)
    fresh.login()
    rig.clock.advance(5.0)
    assert fresh.command(0x06, 0x01)[0] == 0  # the active session outlives the half-open ones
    assert [s.state for s in rig.endpoint.sessions] == [SessionState.ACTIVE]
    assert rig.endpoint.stats.handshakes_abandoned == 3


@pytest.mark.parametrize("seed", range(6))
def test_thirteen_consoles_losing_replies_at_random_all_log_in(seed: int) -> None:
    """13 consoles (13 ipmipower processes) log in at once; half of all replies are lost and every
    lost reply is retransmitted with the next tag, in a seeded random interleaving.  All log in and
    run a command; the BMC opens exactly 13 sessions and refuses nothing."""
    rng = random.Random(seed)
    rig = make_rig()
    consoles = [client(rig, console_session_id=rng.getrandbits(32) or 1, port=42000 + n) for n in range(13)]
    steps = dict.fromkeys(range(13), 0)  # 0 open, 1 rakp1, 2 rakp3, 3 command, 4 done
    first_random: dict[int, bytes] = {}
    while any(step < 4 for step in steps.values()):
        n = rng.choice([k for k, step in steps.items() if step < 4])
        c, lost = consoles[n], rng.random() < 0.5
        if steps[n] == 0:
            c.open_session()
            c.tag += 1  # FreeIPMI counts the tag up on every send, retransmissions included
        elif steps[n] == 1:
            rakp2 = c.rakp1()
            assert rakp2.status == 0 and first_random.setdefault(n, rakp2.bmc_random) == rakp2.bmc_random
        elif steps[n] == 2:
            rakp4 = c.rakp3()
            assert rakp4 is not None and rakp4.status == 0
        else:
            assert c.command(0x00, 0x01)[0] == 0
        if not lost:
            steps[n] += 1
    stats = rig.endpoint.stats
    assert (stats.sessions_opened, stats.handshake_refusals, rig.endpoint.sessions.active_count()) == (13, 0, 13)
    assert stats.handshake_retransmits > 13


def test_a_console_that_stops_after_rakp2_is_recorded_as_abandoned_when_the_handshake_times_out() -> None:
    """ipmitool with a wrong password checks RAKP 2's HMAC itself and sends nothing more: say what that means."""
    rig = make_rig(make_config(handshake_timeout=5.0))
    console = client(rig)
    console.open_session()
    console.rakp1()  # RAKP 2 comes back; the console stops here, as on a password mismatch
    rig.clock.advance(4.9)
    assert "abandoned-after-rakp2" not in rig.outcomes()
    rig.clock.advance(0.2)  # no datagram arrives: the BMC's own sweep notices
    abandoned = [r for r in rig.records if r.outcome == "abandoned-after-rakp2"]
    assert len(abandoned) == 1 and abandoned[0].command == "rmcpplus.rakp3" and abandoned[0].user_name == "admin"
    assert "wrong password" in abandoned[0].detail
    assert rig.clock.getDelayedCalls() == []  # the sweep stops once no handshake waits
