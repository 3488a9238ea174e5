"""BmcEndpoint outside sessions: presence ping, channel capabilities, cipher suites, what is refused."""

from __future__ import annotations

import pytest

from bmc_sim import wire
from bmc_sim.config import Privilege, UserConfig
from tests.bmc_sim.ipmi_testkit import Rig, make_config, make_rig
from tests.bmc_sim.ipmi_testkit.client import sessionless15, sessionless20


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def test_presence_ping_gets_a_pong(rig: Rig) -> None:
    ping = wire.encode_asf(wire.AsfMessage(wire.ASF_IANA, wire.ASF_PRESENCE_PING, 0x33))
    assert rig.sender()(ping) == [wire.presence_pong(0x33)]


def test_auth_capabilities_extended_form(rig: Rig) -> None:
    """Bit 7 asks for IPMI 2.0 data: MD5 + straight password, non-null users only, 1.5 and 2.0 supported."""
    code, data = sessionless15(rig.sender(), 0x06, 0x38, bytes([0x8E, Privilege.ADMINISTRATOR]))
    assert code == 0
    assert data == bytes([1, 0x80 | 0x04 | 0x10, 0x04, 0x03, 0, 0, 0, 0])
    record = rig.records[-1]
    assert (record.interface, record.command, record.completion_code) == (
        "sessionless",
        "app.get_channel_auth_capabilities",
        0,
    )


def test_auth_capabilities_ipmi15_form_and_null_user() -> None:
    """Without bit 7 there are no extended capabilities; the null user is reported only when slot 1 has a password."""
    users = (UserConfig(1, "", "nullpw"), UserConfig(2, "admin", "admin"))
    rig = make_rig(make_config(users=users, auth_types_15=(0, 2)))
    code, data = sessionless20(rig.sender(), 0x06, 0x38, bytes([0x01, Privilege.USER]))
    assert code == 0 and data == bytes([1, 0x01 | 0x04, 0x04 | 0x02, 0, 0, 0, 0, 0])
    no_password = make_rig(make_config(users=(UserConfig(1, "", ""), UserConfig(2, "admin", "admin"))))
    assert sessionless15(no_password.sender(), 0x06, 0x38, b"\x0e\x04")[1][2] == 0x04


@pytest.mark.parametrize(("data", "code"), [(b"\x05\x04", 0xCC), (b"\x0e\x09", 0xCC), (b"\x0e", 0xC7)])
def test_auth_capabilities_rejects_bad_requests(rig: Rig, data: bytes, code: int) -> None:
    assert sessionless15(rig.sender(), 0x06, 0x38, data) == (code, b"")


def test_cipher_suite_records_are_paged_by_16_bytes(rig: Rig) -> None:
    """Suites 1, 2, 3, 17 as 0xC0 records: 16 bytes on page 0, the last 4 on page 1, nothing after."""
    send = rig.sender()
    pages = [sessionless20(send, 0x06, 0x54, bytes([0x0E, 0x00, 0x80 | index])) for index in range(3)]
    assert all(code == 0 for code, _ in pages)
    records = b"".join(data[1:] for _, data in pages)
    assert [len(data) - 1 for _, data in pages] == [16, 4, 0]
    assert records == bytes.fromhex("c0010140 80c0020141 80c0030141 81c0110344 81".replace(" ", ""))
    code, data = sessionless15(send, 0x06, 0x54, b"\x0e\x00\x00")
    assert code == 0 and data == bytes([1, 0x01, 0x03, 0x40, 0x41, 0x44, 0x80, 0x81])


def test_cipher_suites_list_only_configured_suites() -> None:
    rig = make_rig(make_config(cipher_suites=(3, 5, 99)))
    assert sessionless20(rig.sender(), 0x06, 0x54, b"\x0e\x00\x80") == (0, bytes([1, 0xC0, 3, 0x01, 0x41, 0x81]))


def test_other_commands_need_a_session(rig: Rig) -> None:
    """Outside a session only Get System GUID reaches the device (at Callback privilege); the rest gets 0xD4."""
    send = rig.sender()
    assert sessionless15(send, 0x06, 0x01) == (0xD4, b"")
    assert rig.device.requests == [] and rig.outcomes() == ["no-session"]
    code, guid = sessionless20(send, 0x06, 0x37)
    assert code == 0 and guid == rig.device.config.identity.system_guid.bytes_le
    ctx = rig.device.requests[-1][1]
    assert (ctx.privilege, ctx.user_id, ctx.session_id) == (Privilege.CALLBACK, 0, 0)


def test_sessionless_ipmi15_with_an_auth_type_is_malformed(rig: Rig) -> None:
    body = wire.encode_session15(wire.Session15Header(2, 0, 0, bytes(16)), bytes.fromhex("2018c88104017a"))
    assert rig.sender()(wire.encode_rmcp(wire.RmcpClass.IPMI, body)) == []
    assert rig.endpoint.stats.malformed == 1
