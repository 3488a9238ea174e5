"""User and channel commands: what `user set name/password`, `user enable`,
`channel setaccess`, `user list`, `user summary`, `user test` and
`channel info` send, and the user table the session layer reads afterwards."""

from __future__ import annotations

from bmc_sim.config import Privilege
from bmc_sim.message import RequestContext
from tests.bmc_sim.test_device import APP, call, make_bmc, ok

OPERATOR = RequestContext(peer=("127.21.0.9", 1), privilege=Privilege.OPERATOR)


def name_request(user_id: int, name: bytes) -> bytes:
    return bytes([user_id]) + name.ljust(16, b"\x00")


def password_request(user_id: int, operation: int, password: bytes = b"", twenty: bool = False) -> bytes:
    size = 20 if twenty else 16
    return bytes([user_id | (0x80 if twenty else 0), operation]) + password.ljust(size, b"\x00")


def test_rackhd_credential_script_creates_a_working_login() -> None:
    """set name, set password, enable, channel setaccess -> users.find_by_name sees an admin."""
    bmc, _ = make_bmc()
    ok(bmc, APP, 0x45, name_request(6, b"__rackhd__"))
    ok(bmc, APP, 0x47, password_request(6, 0x02, b"c0ffee42"))
    ok(bmc, APP, 0x47, password_request(6, 0x01))
    # channel setaccess 1 6 callin=on ipmi=on link=on privilege=4
    ok(bmc, APP, 0x43, bytes([0x80 | 0x20 | 0x10 | 0x01, 6, 0x04]))
    user = bmc.users.find_by_name(b"__rackhd__")
    assert user is not None and user.user_id == 6
    assert user.password == b"c0ffee42" and user.enabled
    access = user.channel_access(1)
    assert (access.privilege, access.callin, access.link_auth, access.ipmi_messaging) == (
        Privilege.ADMINISTRATOR,
        True,
        True,
        True,
    )
    assert ok(bmc, APP, 0x46, b"\x06") == b"__rackhd__".ljust(16, b"\x00")


def test_enable_with_two_byte_request() -> None:
    """Enable and disable need no password bytes."""
    bmc, _ = make_bmc()
    ok(bmc, APP, 0x47, bytes([7, 0x01]))
    assert bmc.users.get(7).enabled
    ok(bmc, APP, 0x47, bytes([7, 0x00]))
    assert not bmc.users.get(7).enabled


def test_get_user_access_matches_user_list_columns() -> None:
    """Max IDs 15, enabled count, no fixed names, and callin/link/ipmi/priv of the user."""
    bmc, _ = make_bmc()
    assert ok(bmc, APP, 0x44, b"\x01\x02") == bytes([15, 0x40 | 1, 0, 0x20 | 0x10 | 0x04])
    assert ok(bmc, APP, 0x44, b"\x01\x06") == bytes([15, 0x80 | 1, 0, 0x0F])


def test_user_commands_only_on_the_lan_channel() -> None:
    """`user list 2` fails like on a one-channel BMC (0xCC); `user list 14` (current) works."""
    bmc, _ = make_bmc()
    assert call(bmc, APP, 0x44, b"\x02\x02").completion_code == 0xCC
    assert call(bmc, APP, 0x44, b"\x0e\x02").completion_code == 0


def test_user_ids_out_of_range() -> None:
    """User 0 and users past max_users answer 0xCC."""
    bmc, _ = make_bmc()
    for user_id in (0, 16):
        assert call(bmc, APP, 0x46, bytes([user_id])).completion_code == 0xCC
        assert call(bmc, APP, 0x44, bytes([1, user_id])).completion_code == 0xCC


def test_duplicate_user_name_is_refused() -> None:
    """Giving slot 6 the name of slot 2 answers 0xCC; renaming a slot to its own name works."""
    bmc, _ = make_bmc()
    assert call(bmc, APP, 0x45, name_request(6, b"admin")).completion_code == 0xCC
    ok(bmc, APP, 0x45, name_request(2, b"admin"))


def test_password_test_16_and_20_bytes() -> None:
    """`user test`: right password ok, wrong 0x80, 16-byte test of a 20-byte password 0x81."""
    bmc, _ = make_bmc()
    ok(bmc, APP, 0x47, password_request(2, 0x03, b"admin"))
    assert call(bmc, APP, 0x47, password_request(2, 0x03, b"wrong")).completion_code == 0x80
    ok(bmc, APP, 0x47, password_request(3, 0x02, b"abcdefghijklmnopqr", twenty=True))
    assert bmc.users.get(3).password == b"abcdefghijklmnopqr"
    ok(bmc, APP, 0x47, password_request(3, 0x03, b"abcdefghijklmnopqr", twenty=True))
    assert call(bmc, APP, 0x47, password_request(3, 0x03, b"abcdefghijklmnop")).completion_code == 0x81


def test_password_lengths() -> None:
    """Set password needs exactly 16 (or 20) bytes of password: 0xC7 otherwise."""
    bmc, _ = make_bmc()
    assert call(bmc, APP, 0x47, bytes([2, 0x02]) + b"short").completion_code == 0xC7
    assert call(bmc, APP, 0x47, bytes([0x82, 0x02]) + b"x" * 16).completion_code == 0xC7


def test_user_management_needs_administrator() -> None:
    """An OPERATOR can list users but not change them."""
    bmc, _ = make_bmc()
    assert call(bmc, APP, 0x44, b"\x01\x02", ctx=OPERATOR).completion_code == 0
    assert call(bmc, APP, 0x45, name_request(6, b"x"), ctx=OPERATOR).completion_code == 0xD4
    assert call(bmc, APP, 0x47, password_request(2, 0x02, b"x"), ctx=OPERATOR).completion_code == 0xD4


def test_set_user_access_privilege_values() -> None:
    """Privilege nibble 0x0F (no access) is valid, 0x07 is not."""
    bmc, _ = make_bmc()
    ok(bmc, APP, 0x43, bytes([0x01, 2, 0x0F]))
    assert bmc.users.get(2).privilege_limit(1) is Privilege.NO_ACCESS
    assert call(bmc, APP, 0x43, bytes([0x01, 2, 0x07])).completion_code == 0xCC


# -- channels -----------------------------------------------------------------------
def test_channel_info_for_lan_current_and_system_interface() -> None:
    """Channel 1 is 802.3 LAN multi-session; 0x0E is the asker's channel; 0x0F is KCS."""
    bmc, _ = make_bmc()
    bmc.set_session_counter(lambda: 3)
    lan = ok(bmc, APP, 0x42, b"\x01")
    assert lan[:4] == bytes([1, 0x04, 0x01, 0x80 | 3])
    assert lan[4:7] == (7154).to_bytes(3, "little")
    assert ok(bmc, APP, 0x42, b"\x0e") == lan
    in_band = RequestContext(peer=("kcs", 0), channel=0x0F, in_band=True)
    assert ok(bmc, APP, 0x42, b"\x0e", ctx=in_band)[:3] == bytes([0x0F, 0x0C, 0x05])


def test_other_channels_do_not_exist() -> None:
    """Channels 2..11 answer 0xCC, so `lan print 2` fails with rc 1."""
    bmc, _ = make_bmc()
    for channel in range(2, 12):
        assert call(bmc, APP, 0x42, bytes([channel])).completion_code == 0xCC


def test_channel_access_round_trip() -> None:
    """Set Channel Access changes what Get Channel Access reports (volatile and non-volatile)."""
    bmc, _ = make_bmc()
    assert ok(bmc, APP, 0x41, b"\x01\x80") == bytes([0x02, 0x04])
    ok(bmc, APP, 0x40, bytes([0x01, 0x80 | 0x20 | 0x02, 0x80 | 0x03]))
    assert ok(bmc, APP, 0x41, b"\x01\x40") == bytes([0x22, 0x03])
    assert call(bmc, APP, 0x41, b"\x01\x00").completion_code == 0xCC
    assert call(bmc, APP, 0x40, bytes([0x01, 0x00, 0x80 | 0x07])).completion_code == 0xCC
    assert call(bmc, APP, 0x40, bytes([0x01, 0x80, 0x44]), ctx=OPERATOR).completion_code == 0xD4
